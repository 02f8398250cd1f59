using System.Collections.Concurrent;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Hosting;
using Wireframe.Connections;
using Wireframe.Diagnostics;
using Wireframe.Routing;

namespace Wireframe.Hosting;

/// <summary>
/// Serves a <see cref="WireframeApplication{TFrame}"/> on Kestrel connections (TCP, Unix sockets, TLS)
/// and on any other <see cref="ConnectionContext"/>, such as the test kit's in-memory pipes. Enforces
/// the connection cap and runs graceful shutdown.
/// </summary>
/// <typeparam name="TFrame">The application's frame type.</typeparam>
public sealed class WireframeConnectionHandler<TFrame> : ConnectionHandler
{
    private static readonly TimeSpan ShutdownGrace = TimeSpan.FromSeconds(1);

    private readonly ConcurrentDictionary<long, WireframeConnection<TFrame>> _connections = new();
    private readonly TaskCompletionSource _drained = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _active;
    private int _shuttingDown;

    /// <summary>Initializes a new instance of the <see cref="WireframeConnectionHandler{TFrame}"/> class.</summary>
    /// <param name="application">The application to serve.</param>
    /// <param name="lifetime">When given, a graceful shutdown starts as soon as the host starts stopping.</param>
    public WireframeConnectionHandler(WireframeApplication<TFrame> application, IHostApplicationLifetime? lifetime = null)
    {
        Application = application ?? throw new ArgumentNullException(nameof(application));
        lifetime?.ApplicationStopping.Register(static state => ((WireframeConnectionHandler<TFrame>)state!).BeginShutdown(), this);
    }

    /// <summary>Gets the application being served.</summary>
    public WireframeApplication<TFrame> Application { get; }

    /// <summary>Gets the number of connections being served.</summary>
    public long ActiveConnections => Volatile.Read(ref _active);

    /// <summary>Gets a value indicating whether a graceful shutdown has started.</summary>
    public bool IsShuttingDown => Volatile.Read(ref _shuttingDown) != 0;

    /// <inheritdoc />
    public override async Task OnConnectedAsync(ConnectionContext connection) =>
        await ServeAsync(connection).ConfigureAwait(false);

    /// <summary>Serves one connection to its end and says why it ended.</summary>
    /// <param name="connection">The transport connection.</param>
    /// <returns>Why the connection ended.</returns>
    public async Task<DisconnectInfo> ServeAsync(ConnectionContext connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        if (IsShuttingDown)
        {
            Application.Metrics.ConnectionRejected("shutting_down");
            await RefuseAsync(connection).ConfigureAwait(false);
            return new DisconnectInfo(DisconnectReason.Refused, Detail: "The server is shutting down.");
        }

        long active = Interlocked.Increment(ref _active);
        if (active > Application.Options.MaxConcurrentConnections)
        {
            LeaveActive();
            WireframeLog.ConnectionRejected(Application.Logger, connection.RemoteEndPoint, active - 1);
            Application.Metrics.ConnectionRejected("max_concurrent_connections");
            await RefuseAsync(connection).ConfigureAwait(false);
            return new DisconnectInfo(DisconnectReason.Refused, Detail: $"{active - 1} connections are open ({nameof(WireframeOptions)}.{nameof(WireframeOptions.MaxConcurrentConnections)} is {Application.Options.MaxConcurrentConnections}).");
        }

        var wireframeConnection = new WireframeConnection<TFrame>(Application, connection);

        // Published on the transport while it runs, so code that holds the ConnectionContext (Kestrel middleware, the test kit) can reach it.
        connection.Features.Set(wireframeConnection);
        _connections[wireframeConnection.Id.Value] = wireframeConnection;
        try
        {
            if (IsShuttingDown)
            {
                // Shutdown began between the check above and registration; treat it like any other open connection.
                wireframeConnection.BeginShutdown();
            }

            return await wireframeConnection.RunAsync().ConfigureAwait(false);
        }
        finally
        {
            _connections.TryRemove(wireframeConnection.Id.Value, out _);

            // A transport context outlives its connection in tests and pools; it must not keep it alive.
            connection.Features.Set<WireframeConnection<TFrame>>(null);
            LeaveActive();
        }
    }

    /// <summary>
    /// Starts a graceful shutdown: new connections are refused, and every open connection is told to
    /// finish its current request, say goodbye and close within <see cref="WireframeOptions.ShutdownDrainTimeout"/>.
    /// </summary>
    public void BeginShutdown()
    {
        if (Interlocked.Exchange(ref _shuttingDown, 1) != 0)
        {
            return;
        }

        WireframeLog.ShutdownStarted(Application.Logger, ActiveConnections, Application.Options.ShutdownDrainTimeout);
        foreach (WireframeConnection<TFrame> connection in _connections.Values)
        {
            connection.BeginShutdown();
        }

        if (ActiveConnections == 0)
        {
            _drained.TrySetResult();
        }
    }

    /// <summary>
    /// Runs a graceful shutdown and waits until every connection has ended, or until the drain
    /// deadline (plus a second's grace for aborted connections to unwind) has passed.
    /// </summary>
    /// <param name="cancellationToken">Stops waiting (the shutdown itself goes on).</param>
    /// <returns><see langword="true"/> when every connection ended; <see langword="false"/> when some handler still runs after its connection was aborted.</returns>
    public async Task<bool> ShutdownAsync(CancellationToken cancellationToken = default)
    {
        BeginShutdown();
        try
        {
            await _drained.Task.WaitAsync(Application.Options.ShutdownDrainTimeout + ShutdownGrace, Application.TimeProvider, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    private static async ValueTask RefuseAsync(ConnectionContext connection)
    {
        await connection.Transport.Output.CompleteAsync().ConfigureAwait(false);
        await connection.Transport.Input.CompleteAsync().ConfigureAwait(false);
    }

    private void LeaveActive()
    {
        if (Interlocked.Decrement(ref _active) == 0 && IsShuttingDown)
        {
            _drained.TrySetResult();
        }
    }
}
