using System.Buffers;
using System.Buffers.Binary;
using Wireframe.Serialization;

namespace Wireframe.Benchmarks;

/// <summary>The typed response to <see cref="Ping"/>.</summary>
public readonly record struct Pong(ulong Sequence) : IBinaryMessage<Pong>
{
    public static Pong Read(ref SequenceReader<byte> reader) =>
        reader.TryReadBigEndian(out long sequence) ? new Pong((ulong)sequence) : throw new MessageFormatException("Pong needs 8 bytes.");

    public void Write(IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        BinaryPrimitives.WriteUInt64BigEndian(output.GetSpan(sizeof(ulong)), Sequence);
        output.Advance(sizeof(ulong));
    }
}
