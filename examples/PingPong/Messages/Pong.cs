using System.Buffers;
using Wireframe.Serialization;

namespace Wireframe.Examples.PingPong.Messages;

/// <summary>The answer to a <see cref="Ping"/> (message id 2): the ping's value plus one, same layout.</summary>
/// <param name="Value">The incremented number.</param>
public readonly record struct Pong(uint Value) : IBinaryMessage<Pong>
{
    public static Pong Read(ref SequenceReader<byte> reader) => new(UInt32Payload.Read(ref reader, nameof(Pong)));

    public void Write(IBufferWriter<byte> output) => UInt32Payload.Write(output, Value);
}
