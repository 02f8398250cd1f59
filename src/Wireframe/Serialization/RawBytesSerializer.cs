using System.Buffers;

namespace Wireframe.Serialization;

/// <summary>
/// Passes payloads through as bytes: <see cref="ReadOnlySequence{T}"/> and <see cref="ReadOnlyMemory{T}"/>
/// of <see cref="byte"/> are views of the input (valid until the handler completes), <c>byte[]</c>
/// is a copy the handler owns.
/// </summary>
public sealed class RawBytesSerializer : IMessageSerializer
{
    /// <summary>Gets the shared instance.</summary>
    public static RawBytesSerializer Instance { get; } = new();

    /// <inheritdoc />
    public IMessageFormatter<T>? GetFormatter<T>()
    {
        object? formatter = typeof(T) == typeof(ReadOnlySequence<byte>) ? SequenceFormatter.Instance
            : typeof(T) == typeof(ReadOnlyMemory<byte>) ? MemoryFormatter.Instance
            : typeof(T) == typeof(byte[]) ? ArrayFormatter.Instance
            : null;
        return (IMessageFormatter<T>?)formatter;
    }

    private sealed class SequenceFormatter : IMessageFormatter<ReadOnlySequence<byte>>, IPayloadPassthrough<ReadOnlySequence<byte>>
    {
        public static readonly SequenceFormatter Instance = new();

        public ReadOnlySequence<byte> Deserialize(in ReadOnlySequence<byte> payload) => payload;

        public ReadOnlySequence<byte> AsPayload(ReadOnlySequence<byte> message) => message;

        public void Serialize(ReadOnlySequence<byte> message, IBufferWriter<byte> output) =>
            Framing.BufferWriting.Write(output, message);
    }

    private sealed class MemoryFormatter : IMessageFormatter<ReadOnlyMemory<byte>>, IPayloadPassthrough<ReadOnlyMemory<byte>>
    {
        public static readonly MemoryFormatter Instance = new();

        public ReadOnlyMemory<byte> Deserialize(in ReadOnlySequence<byte> payload) =>
            payload.IsSingleSegment ? payload.First : payload.ToArray();

        public void Serialize(ReadOnlyMemory<byte> message, IBufferWriter<byte> output) => output.Write(message.Span);

        public ReadOnlySequence<byte> AsPayload(ReadOnlyMemory<byte> message) => new(message);
    }

    private sealed class ArrayFormatter : IMessageFormatter<byte[]>, IPayloadPassthrough<byte[]>
    {
        public static readonly ArrayFormatter Instance = new();

        public byte[] Deserialize(in ReadOnlySequence<byte> payload) => payload.ToArray();

        public void Serialize(byte[] message, IBufferWriter<byte> output) => output.Write(message);

        public ReadOnlySequence<byte> AsPayload(byte[] message) => new(message);
    }
}
