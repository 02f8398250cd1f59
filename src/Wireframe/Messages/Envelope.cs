using System.Buffers;

namespace Wireframe.Messages;

/// <summary>
/// The default frame: a message id that selects the handler, an optional correlation id that ties a
/// response to its request, and the serialized message.
/// </summary>
/// <remarks>
/// An inbound envelope's <see cref="Payload"/> is a view of the connection's input buffer, valid
/// until its handler completes. Copy it to keep it longer.
/// </remarks>
/// <param name="MessageId">The message id used for routing.</param>
/// <param name="CorrelationId">The correlation id, or <see langword="null"/> when the frame carries none.</param>
/// <param name="Payload">The serialized message.</param>
public readonly record struct Envelope(uint MessageId, ulong? CorrelationId, ReadOnlySequence<byte> Payload)
{
    /// <summary>Initializes a new instance of the <see cref="Envelope"/> struct from a memory block.</summary>
    /// <param name="messageId">The message id used for routing.</param>
    /// <param name="correlationId">The correlation id, or <see langword="null"/>.</param>
    /// <param name="payload">The serialized message.</param>
    public Envelope(uint messageId, ulong? correlationId, ReadOnlyMemory<byte> payload)
        : this(messageId, correlationId, new ReadOnlySequence<byte>(payload))
    {
    }
}
