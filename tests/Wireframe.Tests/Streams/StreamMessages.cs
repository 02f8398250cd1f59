using System.Buffers;
using System.Buffers.Binary;
using Wireframe.Serialization;

namespace Wireframe.Tests.Streams;

/// <summary>A request for <see cref="Count"/> streamed rows.</summary>
public readonly record struct Query(uint Count) : IBinaryMessage<Query>
{
    public static Query Read(ref SequenceReader<byte> reader) =>
        reader.TryReadBigEndian(out int value) ? new Query((uint)value) : throw new MessageFormatException("Query needs 4 bytes.");

    public void Write(IBufferWriter<byte> output)
    {
        BinaryPrimitives.WriteUInt32BigEndian(output.GetSpan(4), Count);
        output.Advance(4);
    }
}

/// <summary>One streamed item: its index in the stream.</summary>
public readonly record struct Row(uint Index) : IBinaryMessage<Row>
{
    public static Row Read(ref SequenceReader<byte> reader) =>
        reader.TryReadBigEndian(out int value) ? new Row((uint)value) : throw new MessageFormatException("Row needs 4 bytes.");

    public void Write(IBufferWriter<byte> output)
    {
        BinaryPrimitives.WriteUInt32BigEndian(output.GetSpan(4), Index);
        output.Advance(4);
    }
}
