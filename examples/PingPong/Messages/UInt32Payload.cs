using System.Buffers;
using System.Buffers.Binary;
using Wireframe.Serialization;

namespace Wireframe.Examples.PingPong.Messages;

/// <summary>The payload shared by <see cref="Ping"/> and <see cref="Pong"/>: one big-endian u32.</summary>
internal static class UInt32Payload
{
    public const int Size = sizeof(uint);

    public static uint Read(ref SequenceReader<byte> reader, string messageName)
    {
        // TryReadBigEndian copies across segment boundaries, so a value split by the transport still reads.
        if (!reader.TryReadBigEndian(out int value))
        {
            throw new MessageFormatException($"{messageName} payload must be a {Size}-byte big-endian unsigned integer, but it has {reader.Remaining} bytes.");
        }

        return unchecked((uint)value);
    }

    public static void Write(IBufferWriter<byte> output, uint value)
    {
        BinaryPrimitives.WriteUInt32BigEndian(output.GetSpan(Size), value);
        output.Advance(Size);
    }
}
