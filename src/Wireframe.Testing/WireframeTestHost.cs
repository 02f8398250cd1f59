using System.IO.Pipelines;
using Microsoft.Extensions.DependencyInjection;
using Wireframe.Connections;
using Wireframe.Hosting;
using Wireframe.Routing;

namespace Wireframe.Testing;

/// <summary>
/// Runs a Wireframe application over in-memory connections with the same connection handler the
/// server uses on Kestrel, and a <see cref="ManualTimeProvider"/> for its timeouts.
/// </summary>
/// <typeparam name="TFrame">The application's frame type.</typeparam>
public sealed class WireframeTestHost<TFrame> : IAsyncDisposable
{
    private readonly ServiceProvider _services;

    /// <summary>Initializes a new instance of the <see cref="WireframeTestHost{TFrame}"/> class.</summary>
    /// <param name="application">The application description; it is built here.</param>
    /// <param name="configureServices">Adds services handlers need.</param>
    public WireframeTestHost(WireframeAppBuilder<TFrame> application, Action<IServiceCollection>? configureServices = null)
    {
        ArgumentNullException.ThrowIfNull(application);
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(Time);
        services.AddMetrics();
        services.AddLogging();
        configureServices?.Invoke(services);
        _services = services.BuildServiceProvider();
        Application = application.Build(_services);
        Handler = new WireframeConnectionHandler<TFrame>(Application);
    }

    /// <summary>Gets the clock the application uses; advance it to fire timeouts.</summary>
    public ManualTimeProvider Time { get; } = new();

    /// <summary>Gets the built application.</summary>
    public WireframeApplication<TFrame> Application { get; }

    /// <summary>Gets the connection handler, the same type Kestrel runs.</summary>
    public WireframeConnectionHandler<TFrame> Handler { get; }

    /// <summary>Gets the host's services.</summary>
    public IServiceProvider Services => _services;

    /// <summary>Opens a connection; the server side starts running at once.</summary>
    /// <param name="pipeOptions">Pipe options, e.g. a small pause threshold to simulate a slow network.</param>
    /// <returns>The client's end of the connection.</returns>
    public TestConnection<TFrame> Connect(PipeOptions? pipeOptions = null)
    {
        var context = new InMemoryConnectionContext(pipeOptions);
        Task<DisconnectInfo> served = Handler.ServeAsync(context);
        return new TestConnection<TFrame>(Application, context, served);
    }

    /// <summary>
    /// Opens a connection over a slow network: each direction holds at most <paramref name="windowBytes"/>
    /// unread bytes, so whoever writes waits for the other side to read (a slow reader on either end
    /// holds the writer back, and a large message crosses in pieces).
    /// </summary>
    /// <param name="windowBytes">The bytes each direction may hold unread; 1 makes every flush wait for its reader.</param>
    /// <returns>The client's end of the connection.</returns>
    public TestConnection<TFrame> ConnectSlow(int windowBytes = 1)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(windowBytes);
        return Connect(new PipeOptions(pauseWriterThreshold: windowBytes, resumeWriterThreshold: windowBytes, useSynchronizationContext: false));
    }

    /// <summary>Runs a graceful shutdown; advance <see cref="Time"/> to reach the drain deadline.</summary>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns><see langword="true"/> when every connection ended.</returns>
    public Task<bool> ShutdownAsync(CancellationToken cancellationToken = default) => Handler.ShutdownAsync(cancellationToken);

    /// <inheritdoc />
    public async ValueTask DisposeAsync() => await _services.DisposeAsync().ConfigureAwait(false);
}
