using System.Buffers;
using Wireframe.Serialization;

namespace Wireframe.Examples.PingPong.Messages;

/// <summary>A ping (message id 1): payload is <see cref="Value"/> as a 4-byte big-endian unsigned integer.</summary>
/// <param name="Value">The number the server increments.</param>
public readonly record struct Ping(uint Value) : IBinaryMessage<Ping>
{
    public static Ping Read(ref SequenceReader<byte> reader) => new(UInt32Payload.Read(ref reader, nameof(Ping)));

    public void Write(IBufferWriter<byte> output) => UInt32Payload.Write(output, Value);
}
