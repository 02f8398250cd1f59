using Wireframe.Connections;

namespace Wireframe.Routing;

/// <summary>
/// A <see cref="FrameHandler{TFrame}"/>'s way out: frames sent here are encoded straight into the
/// connection's current batch, in order, and flushed when the read that brought the frame is handled.
/// A stack-only value, so it cannot outlive the handler call that holds the writer.
/// </summary>
/// <typeparam name="TFrame">The application's frame type.</typeparam>
public readonly ref struct FrameReply<TFrame>
{
    private readonly WireframeConnection<TFrame>? _connection;

    internal FrameReply(WireframeConnection<TFrame> connection)
    {
        _connection = connection;
    }

    /// <summary>Gets the connection the frame arrived on: its id, endpoints, services, pushes, and <see cref="WireframeConnection.Close"/>.</summary>
    public WireframeConnection<TFrame> Connection => _connection ?? throw NotInHandler();

    /// <summary>Encodes a frame into the connection's batch.</summary>
    /// <param name="frame">The frame; its memory only needs to stay valid for the call.</param>
    /// <returns>
    /// <see langword="false"/>, with nothing sent, once the connection's writer is completed (the
    /// connection has ended or was aborted); after <see cref="WireframeConnection.Close"/> the frames
    /// of the current read are still sent.
    /// </returns>
    public bool Send(in TFrame frame) => (_connection ?? throw NotInHandler()).Writer.SendInRun(frame);

    /// <summary>
    /// Serializes a message with the application's formatter for <typeparamref name="TMessage"/>,
    /// wraps it in a frame and encodes it into the batch. A serializer or codec failure throws here,
    /// so it fails the frame like any other handler exception.
    /// </summary>
    /// <typeparam name="TMessage">The message type.</typeparam>
    /// <param name="messageId">The outbound message id.</param>
    /// <param name="message">The message.</param>
    /// <param name="correlationId">The correlation id, if the envelope carries one.</param>
    /// <returns><see langword="false"/>, with nothing sent, once the connection's writer is completed.</returns>
    public bool Send<TMessage>(uint messageId, TMessage message, ulong? correlationId = null)
    {
        WireframeConnection<TFrame> connection = _connection ?? throw NotInHandler();
        return connection.Writer.SendMessageInRun(messageId, correlationId, message, connection.Application.GetFormatter<TMessage>());
    }

    private static InvalidOperationException NotInHandler() =>
        new($"This {nameof(FrameReply<TFrame>)} was not given to a frame handler; only the one the framework passes in can send.");
}
