using System.Net;
using System.Runtime.InteropServices;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Wireframe.Routing;

namespace Wireframe.Hosting;

/// <summary>
/// A standalone Wireframe server on Kestrel, for programs that are nothing but a protocol server.
/// Build one with <see cref="Create{TFrame}"/>; use <c>AddWireframe</c> instead inside an existing host.
/// </summary>
public sealed class WireframeServer : IAsyncDisposable
{
    private readonly WebApplication _host;
    private readonly IReadOnlyList<ListenOptions> _listeners;
    private readonly Func<CancellationToken, Task<bool>> _drain;
    private readonly ILogger _logger;
    private int _started;
    private int _stopped;

    internal WireframeServer(WebApplication host, IReadOnlyList<ListenOptions> listeners, Func<CancellationToken, Task<bool>> drain, ILogger logger)
    {
        _host = host;
        _listeners = listeners;
        _drain = drain;
        _logger = logger;
    }

    /// <summary>Gets the bound endpoints, with the real port where port 0 was asked for. Valid after <see cref="StartAsync"/>.</summary>
    public IReadOnlyList<EndPoint> EndPoints => _listeners.Select(listener => listener.EndPoint).ToArray();

    /// <summary>Gets the host's services.</summary>
    public IServiceProvider Services => _host.Services;

    /// <summary>Starts a server builder for an application.</summary>
    /// <typeparam name="TFrame">The application's frame type.</typeparam>
    /// <param name="application">The application description.</param>
    /// <returns>A server builder.</returns>
    public static WireframeServerBuilder<TFrame> Create<TFrame>(WireframeAppBuilder<TFrame> application) => new(application);

    /// <summary>Binds every endpoint and starts accepting connections.</summary>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <returns>A task that completes when the endpoints are bound.</returns>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _started, 1) == 0)
        {
            await _host.StartAsync(cancellationToken).ConfigureAwait(false);
            foreach (EndPoint endPoint in EndPoints)
            {
                Diagnostics.WireframeLog.Listening(_logger, endPoint.ToString() ?? "?");
            }
        }
    }

    /// <summary>
    /// Runs until <paramref name="cancellationToken"/> fires or the process receives SIGINT or SIGTERM,
    /// then shuts down gracefully. Starts the server first if needed.
    /// </summary>
    /// <param name="cancellationToken">Stops the server.</param>
    /// <returns>A task that completes when the server has stopped.</returns>
    public async Task RunAsync(CancellationToken cancellationToken = default)
    {
        // The host's own lifetime may also be told to stop (its console lifetime handles signals too).
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _host.Lifetime.ApplicationStopping);
        using PosixSignalRegistration sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
        using PosixSignalRegistration sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
        await StartAsync(cancellationToken).ConfigureAwait(false);

        try
        {
            await Task.Delay(Timeout.Infinite, stop.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        await StopAsync(CancellationToken.None).ConfigureAwait(false);

        void Stop(PosixSignalContext context)
        {
            context.Cancel = true;
            stop.Cancel();
        }
    }

    /// <summary>
    /// Stops gracefully: stops accepting, tells every connection to finish and say goodbye, waits up
    /// to <see cref="WireframeOptions.ShutdownDrainTimeout"/>, and aborts what remains.
    /// </summary>
    /// <param name="cancellationToken">Stops waiting for the drain.</param>
    /// <returns>A task that completes when the server has stopped.</returns>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        if (Volatile.Read(ref _started) == 0 || Interlocked.Exchange(ref _stopped, 1) != 0)
        {
            return;
        }

        // Stopping the host fires ApplicationStopping, which starts the drain on every connection;
        // Kestrel meanwhile unbinds (no new connections) and waits for the connections to end, which
        // the drain deadline guarantees (HostOptions.ShutdownTimeout is just past it).
        await _host.StopAsync(cancellationToken).ConfigureAwait(false);
        await _drain(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        await _host.DisposeAsync().ConfigureAwait(false);
    }
}
