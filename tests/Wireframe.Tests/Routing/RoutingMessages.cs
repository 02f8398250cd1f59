using System.Buffers;
using System.Buffers.Binary;
using Wireframe.Serialization;

namespace Wireframe.Tests.Routing;

/// <summary>A request carrying one big-endian u32.</summary>
public readonly record struct Ping(uint Value) : IBinaryMessage<Ping>
{
    public static Ping Read(ref SequenceReader<byte> reader) =>
        reader.TryReadBigEndian(out int value) ? new Ping((uint)value) : throw new MessageFormatException("Ping needs 4 bytes.");

    public void Write(IBufferWriter<byte> output)
    {
        BinaryPrimitives.WriteUInt32BigEndian(output.GetSpan(4), Value);
        output.Advance(4);
    }
}

/// <summary>A response carrying one big-endian u32; its message id is mapped in tests that need one.</summary>
public sealed record Pong(uint Value) : IBinaryMessage<Pong>
{
    public static Pong Read(ref SequenceReader<byte> reader) =>
        reader.TryReadBigEndian(out int value) ? new Pong((uint)value) : throw new MessageFormatException("Pong needs 4 bytes.");

    public void Write(IBufferWriter<byte> output)
    {
        BinaryPrimitives.WriteUInt32BigEndian(output.GetSpan(4), Value);
        output.Advance(4);
    }
}

/// <summary>A session token a handler receives from an extractor, not from the payload's serializer.</summary>
public sealed record SessionToken(string Value);

/// <summary>A type no serializer knows.</summary>
public sealed record Unserializable(int Value);
