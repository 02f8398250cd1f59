using System.Buffers;

namespace Wireframe.Messages;

/// <summary>
/// The <see cref="IEnvelopeFormat{TFrame}"/> for frames that are nothing but payload: every frame
/// has message id 0 and no correlation id, so one handler registered for id 0 receives them all.
/// </summary>
public sealed class RawFrameFormat : IEnvelopeFormat<ReadOnlySequence<byte>>
{
    /// <summary>Gets the shared instance.</summary>
    public static RawFrameFormat Instance { get; } = new();

    /// <inheritdoc />
    public uint GetMessageId(in ReadOnlySequence<byte> frame) => 0;

    /// <inheritdoc />
    public ulong? GetCorrelationId(in ReadOnlySequence<byte> frame) => null;

    /// <inheritdoc />
    public ReadOnlySequence<byte> GetPayload(in ReadOnlySequence<byte> frame) => frame;

    /// <inheritdoc />
    public ReadOnlySequence<byte> CreateFrame(uint messageId, ulong? correlationId, ReadOnlySequence<byte> payload) => payload;

    /// <inheritdoc />
    public ReadOnlySequence<byte> WithPayload(in ReadOnlySequence<byte> frame, ReadOnlySequence<byte> payload) => payload;
}
