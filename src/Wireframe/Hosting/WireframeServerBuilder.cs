using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Wireframe.Routing;

namespace Wireframe.Hosting;

/// <summary>Configures a standalone <see cref="WireframeServer"/>: endpoints, logging and services.</summary>
/// <typeparam name="TFrame">The application's frame type.</typeparam>
public sealed class WireframeServerBuilder<TFrame>
{
    private readonly WireframeAppBuilder<TFrame> _application;
    private readonly List<Action<Microsoft.AspNetCore.Server.Kestrel.Core.KestrelServerOptions, List<ListenOptions>>> _endpoints = [];
    private readonly List<Action<IServiceCollection>> _services = [];
    private Action<ILoggingBuilder> _logging = logging => logging.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Information);

    internal WireframeServerBuilder(WireframeAppBuilder<TFrame> application)
    {
        _application = application ?? throw new ArgumentNullException(nameof(application));
    }

    /// <summary>Listens on a TCP endpoint; port 0 picks a free port (see <see cref="WireframeServer.EndPoints"/>).</summary>
    /// <param name="endPoint">The address and port.</param>
    /// <param name="configure">Adjusts the endpoint, e.g. <c>l => l.UseHttps(certificate)</c> for TLS.</param>
    /// <returns>This builder.</returns>
    public WireframeServerBuilder<TFrame> ListenTcp(IPEndPoint endPoint, Action<ListenOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        _endpoints.Add((kestrel, bound) => kestrel.Listen(endPoint, listen => Bind(listen, configure, bound)));
        return this;
    }

    /// <summary>Listens on a TCP address and port.</summary>
    /// <param name="address">The address, e.g. "127.0.0.1".</param>
    /// <param name="port">The port; 0 picks a free one.</param>
    /// <param name="configure">Adjusts the endpoint.</param>
    /// <returns>This builder.</returns>
    public WireframeServerBuilder<TFrame> ListenTcp(string address, int port, Action<ListenOptions>? configure = null) =>
        ListenTcp(new IPEndPoint(IPAddress.Parse(address), port), configure);

    /// <summary>Listens on a Unix domain socket.</summary>
    /// <param name="path">The socket's path.</param>
    /// <param name="configure">Adjusts the endpoint.</param>
    /// <returns>This builder.</returns>
    public WireframeServerBuilder<TFrame> ListenUnixSocket(string path, Action<ListenOptions>? configure = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        _endpoints.Add((kestrel, bound) => kestrel.ListenUnixSocket(path, listen => Bind(listen, configure, bound)));
        return this;
    }

    /// <summary>Replaces the logging setup (the default is a one-line console logger at Information).</summary>
    /// <param name="configure">Configures logging.</param>
    /// <returns>This builder.</returns>
    public WireframeServerBuilder<TFrame> ConfigureLogging(Action<ILoggingBuilder> configure)
    {
        _logging = configure ?? throw new ArgumentNullException(nameof(configure));
        return this;
    }

    /// <summary>Adds services handlers can resolve (and a <see cref="TimeProvider"/> to replace the clock).</summary>
    /// <param name="configure">Registers services.</param>
    /// <returns>This builder.</returns>
    public WireframeServerBuilder<TFrame> ConfigureServices(Action<IServiceCollection> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        _services.Add(configure);
        return this;
    }

    /// <summary>Builds the server; validates the application and options.</summary>
    /// <returns>The server, not yet started.</returns>
    public WireframeServer Build()
    {
        if (_endpoints.Count == 0)
        {
            throw new InvalidOperationException("The server has no endpoint: call ListenTcp or ListenUnixSocket.");
        }

        WireframeOptions options = _application.Options;
        options.Validate();
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.Logging.ClearProviders();
        _logging(builder.Logging);
        builder.Logging.AddFilter("Microsoft", LogLevel.Warning);
        builder.WebHost.UseKestrelCore();
        builder.WebHost.UseSockets(sockets =>
        {
            // For raw connection handlers the socket transport's pipes are the buffers that pause.
            if (options.InputBufferPauseThreshold is long input)
            {
                sockets.MaxReadBufferSize = input;
            }

            if (options.OutputBufferPauseThreshold is long output)
            {
                sockets.MaxWriteBufferSize = output;
            }
        });
        builder.Services.Configure<Microsoft.Extensions.Hosting.HostOptions>(host => host.ShutdownTimeout = options.ShutdownDrainTimeout + TimeSpan.FromSeconds(2));
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddMetrics();
        foreach (Action<IServiceCollection> configure in _services)
        {
            configure(builder.Services);
        }

        builder.Services.AddSingleton(provider => _application.Build(provider));
        builder.Services.AddSingleton(provider => new WireframeConnectionHandler<TFrame>(
            provider.GetRequiredService<WireframeApplication<TFrame>>(),
            provider.GetRequiredService<Microsoft.Extensions.Hosting.IHostApplicationLifetime>()));
        var bound = new List<ListenOptions>();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            bound.Clear();
            foreach (var endpoint in _endpoints)
            {
                endpoint(kestrel, bound);
            }
        });

        WebApplication host = builder.Build();

        // Build the application now so an invalid description fails here, not on the first connection.
        var handler = host.Services.GetRequiredService<WireframeConnectionHandler<TFrame>>();
        return new WireframeServer(host, bound, handler.ShutdownAsync, handler.Application.Logger);
    }

    private static void Bind(ListenOptions listen, Action<ListenOptions>? configure, List<ListenOptions> bound)
    {
        configure?.Invoke(listen);
        listen.UseConnectionHandler<WireframeConnectionHandler<TFrame>>();
        bound.Add(listen);
    }
}
