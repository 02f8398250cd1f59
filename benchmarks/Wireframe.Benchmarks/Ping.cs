using System.Buffers;
using System.Buffers.Binary;
using Wireframe.Serialization;

namespace Wireframe.Benchmarks;

/// <summary>A typed request: an 8-byte big-endian sequence number.</summary>
public readonly record struct Ping(ulong Sequence) : IBinaryMessage<Ping>
{
    public static Ping Read(ref SequenceReader<byte> reader) =>
        reader.TryReadBigEndian(out long sequence) ? new Ping((ulong)sequence) : throw new MessageFormatException("Ping needs 8 bytes.");

    public void Write(IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        BinaryPrimitives.WriteUInt64BigEndian(output.GetSpan(sizeof(ulong)), Sequence);
        output.Advance(sizeof(ulong));
    }
}
