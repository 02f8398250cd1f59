using System.Buffers;
using Wireframe.Connections;

namespace Wireframe.Routing;

/// <summary>The request context with access to the frame itself and to typed replies, for middleware and hooks.</summary>
/// <typeparam name="TFrame">The application's frame type.</typeparam>
public sealed class RequestContext<TFrame> : RequestContext
{
    private readonly WireframeConnection<TFrame> _connection;
    private TFrame _frame = default!;

    internal RequestContext(WireframeConnection<TFrame> connection)
    {
        _connection = connection;
    }

    /// <inheritdoc />
    public override WireframeConnection Connection => _connection;

    /// <summary>Gets the typed connection, for sending frames.</summary>
    public WireframeConnection<TFrame> TypedConnection => _connection;

    /// <summary>Gets the inbound frame, valid until the handler completes.</summary>
    public TFrame Frame => _frame;

    /// <inheritdoc />
    public override ReadOnlySequence<byte> Payload => _connection.Application.Format.GetPayload(_frame);

    /// <summary>
    /// Sends a message as part of this request's response, carrying the request's correlation id. It
    /// joins the current batch; the batch is flushed when the read that brought the request is handled.
    /// </summary>
    /// <typeparam name="TMessage">The message type.</typeparam>
    /// <param name="messageId">The outbound message id.</param>
    /// <param name="message">The message.</param>
    /// <param name="cancellationToken">Cancels waiting for the writer.</param>
    /// <returns><see langword="false"/> when the connection is closed.</returns>
    public ValueTask<bool> ReplyAsync<TMessage>(uint messageId, TMessage message, CancellationToken cancellationToken = default) =>
        _connection.Writer.WriteMessageAsync(messageId, CorrelationId, message, _connection.Application.GetFormatter<TMessage>(), cancellationToken);

    /// <summary>
    /// Sends a message as part of this request's response, with the message id mapped to its type
    /// (<see cref="WireframeAppBuilder{TFrame}.MapMessageId{T}"/>) or else the request's, carrying the
    /// request's correlation id.
    /// </summary>
    /// <typeparam name="TMessage">The message type.</typeparam>
    /// <param name="message">The message.</param>
    /// <param name="cancellationToken">Cancels waiting for the writer.</param>
    /// <returns><see langword="false"/> when the connection is closed.</returns>
    public ValueTask<bool> ReplyAsync<TMessage>(TMessage message, CancellationToken cancellationToken = default) =>
        ReplyAsync(_connection.Application.GetMessageId<TMessage>() ?? MessageId, message, cancellationToken);

    /// <summary>Sends a frame as part of this request's response, as it is.</summary>
    /// <param name="frame">The frame.</param>
    /// <param name="cancellationToken">Cancels waiting for the writer.</param>
    /// <returns><see langword="false"/> when the connection is closed.</returns>
    public ValueTask<bool> ReplyAsync(TFrame frame, CancellationToken cancellationToken = default) =>
        _connection.Writer.WriteAsync(frame, cancellationToken);

    internal void Start(in TFrame frame, uint messageId, ulong? correlationId)
    {
        _frame = frame;
        MessageId = messageId;
        CorrelationId = correlationId;
    }

    /// <summary>Gets or sets the streamed body of a request routed to a <see cref="Fragmentation.MessageBody"/> handler.</summary>
    internal Fragmentation.MessageBody? Body { get; set; }

    internal void Finish()
    {
        _frame = default!;
        Body = null;
    }
}
