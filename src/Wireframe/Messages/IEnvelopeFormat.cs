using System.Buffers;

namespace Wireframe.Messages;

/// <summary>
/// Tells the framework where a frame keeps its routing information and how to build a frame around
/// a serialized message. Implement it to route your own packet type.
/// </summary>
/// <typeparam name="TFrame">The frame type produced by the application's codec.</typeparam>
public interface IEnvelopeFormat<TFrame>
{
    /// <summary>Gets the message id that selects the frame's handler.</summary>
    /// <param name="frame">An inbound frame.</param>
    /// <returns>The message id.</returns>
    uint GetMessageId(in TFrame frame);

    /// <summary>Gets the frame's correlation id.</summary>
    /// <param name="frame">An inbound frame.</param>
    /// <returns>The correlation id, or <see langword="null"/> when the protocol or frame has none.</returns>
    ulong? GetCorrelationId(in TFrame frame);

    /// <summary>Gets the bytes a serializer turns into the handler's typed message.</summary>
    /// <param name="frame">An inbound frame.</param>
    /// <returns>The payload; it may reference the input buffer.</returns>
    ReadOnlySequence<byte> GetPayload(in TFrame frame);

    /// <summary>Builds an outbound frame around a serialized message.</summary>
    /// <param name="messageId">The message id of the outbound message.</param>
    /// <param name="correlationId">The correlation id to carry, usually the request's.</param>
    /// <param name="payload">The serialized message; valid only until the frame is encoded.</param>
    /// <returns>The frame.</returns>
    TFrame CreateFrame(uint messageId, ulong? correlationId, ReadOnlySequence<byte> payload);

    /// <summary>
    /// Builds a frame like <paramref name="frame"/> with another payload: fragmentation uses it for
    /// every fragment of a message and for the message rebuilt from its fragments. The default
    /// keeps the message id and correlation id; override it to keep whatever else your frame
    /// carries (and to save the calls).
    /// </summary>
    /// <param name="frame">The frame whose routing information to keep.</param>
    /// <param name="payload">The new payload; the frame may reference it.</param>
    /// <returns>The frame.</returns>
    TFrame WithPayload(in TFrame frame, ReadOnlySequence<byte> payload) =>
        CreateFrame(GetMessageId(frame), GetCorrelationId(frame), payload);
}
