using System.Buffers;

namespace Wireframe.Messages;

/// <summary>The <see cref="IEnvelopeFormat{TFrame}"/> of the default <see cref="Envelope"/> frame.</summary>
public sealed class EnvelopeFormat : IEnvelopeFormat<Envelope>
{
    /// <summary>Gets the shared instance.</summary>
    public static EnvelopeFormat Instance { get; } = new();

    /// <inheritdoc />
    public uint GetMessageId(in Envelope frame) => frame.MessageId;

    /// <inheritdoc />
    public ulong? GetCorrelationId(in Envelope frame) => frame.CorrelationId;

    /// <inheritdoc />
    public ReadOnlySequence<byte> GetPayload(in Envelope frame) => frame.Payload;

    /// <inheritdoc />
    public Envelope CreateFrame(uint messageId, ulong? correlationId, ReadOnlySequence<byte> payload) =>
        new(messageId, correlationId, payload);

    /// <inheritdoc />
    public Envelope WithPayload(in Envelope frame, ReadOnlySequence<byte> payload) => frame with { Payload = payload };
}
