using System.Net;

namespace Wireframe.Connections;

/// <summary>
/// One peer connection as the application sees it: identity, endpoints, per-connection state and a
/// token that fires when it closes. Hooks and handlers receive it; it never outlives its transport.
/// </summary>
public abstract class WireframeConnection
{
    private readonly object _sync = new();
    private CancellationTokenSource? _closing;
    private bool _closingFired;
    private Dictionary<object, object?>? _items;

    private protected WireframeConnection(string transportId, EndPoint? remoteEndPoint, EndPoint? localEndPoint, IServiceProvider services)
    {
        Id = ConnectionId.Next();
        TransportId = transportId;
        RemoteEndPoint = remoteEndPoint;
        LocalEndPoint = localEndPoint;
        Services = services;
    }

    /// <summary>Gets the connection's process-wide unique id.</summary>
    public ConnectionId Id { get; }

    /// <summary>Gets the transport's id for this connection (Kestrel's connection id), for correlating logs.</summary>
    public string TransportId { get; }

    /// <summary>Gets the peer's address, when the transport has one.</summary>
    public EndPoint? RemoteEndPoint { get; }

    /// <summary>Gets the local address, when the transport has one.</summary>
    public EndPoint? LocalEndPoint { get; }

    /// <summary>Gets the application's services.</summary>
    public IServiceProvider Services { get; }

    /// <summary>Gets or sets the application's state for this connection (set it in the connected hook).</summary>
    public object? State { get; set; }

    /// <summary>Gets the preamble the peer sent, when the application reads one.</summary>
    public object? Preamble { get; internal set; }

    /// <summary>Gets a bag of per-connection values, created on first use.</summary>
    public IDictionary<object, object?> Items
    {
        get
        {
            lock (_sync)
            {
                return _items ??= [];
            }
        }
    }

    /// <summary>Gets a value indicating whether a graceful server shutdown has reached this connection.</summary>
    public bool IsShuttingDown { get; private protected set; }

    /// <summary>
    /// Gets a token that fires when the connection closes or the server starts shutting down. The
    /// token source is created on first use, so connections that never ask pay nothing.
    /// </summary>
    public CancellationToken ConnectionClosing
    {
        get
        {
            lock (_sync)
            {
                if (_closingFired)
                {
                    return new CancellationToken(canceled: true);
                }

                _closing ??= new CancellationTokenSource();
                return _closing.Token;
            }
        }
    }

    /// <summary>Asks the connection to close after the request in progress; the disconnect reason is <see cref="DisconnectReason.ClosedByApplication"/>.</summary>
    public abstract void Close();

    /// <summary>Sends bytes that bypass the codec (a preamble reply, a raw greeting) and flushes.</summary>
    /// <param name="bytes">The bytes.</param>
    /// <param name="cancellationToken">Cancels waiting for the writer.</param>
    /// <returns><see langword="false"/> when the connection is closed and nothing was sent.</returns>
    public abstract ValueTask<bool> SendRawAsync(ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken = default);

    /// <summary>Serializes a message into a frame, sends it and flushes.</summary>
    /// <typeparam name="TMessage">The message type.</typeparam>
    /// <param name="messageId">The outbound message id.</param>
    /// <param name="message">The message.</param>
    /// <param name="correlationId">The correlation id to carry, if any.</param>
    /// <param name="cancellationToken">Cancels waiting for the writer.</param>
    /// <returns><see langword="false"/> when the connection is closed and nothing was sent.</returns>
    public abstract ValueTask<bool> SendAsync<TMessage>(uint messageId, TMessage message, ulong? correlationId = null, CancellationToken cancellationToken = default);

    /// <summary>Fires <see cref="ConnectionClosing"/>, once.</summary>
    private protected void FireClosing()
    {
        CancellationTokenSource? closing;
        lock (_sync)
        {
            if (_closingFired)
            {
                return;
            }

            _closingFired = true;
            closing = _closing;
        }

        closing?.Cancel();
    }
}
