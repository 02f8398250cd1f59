using System.Buffers.Binary;

namespace Wireframe.Tests.Support;

/// <summary>A decoded envelope body (what <see cref="FrameSocket.ReadFrameAsync"/> returns for the default wire format).</summary>
public sealed record EnvelopeReply(uint MessageId, ulong? CorrelationId, byte[] Payload)
{
    public static EnvelopeReply Parse(byte[] body)
    {
        ArgumentNullException.ThrowIfNull(body);
        uint messageId = BinaryPrimitives.ReadUInt32BigEndian(body);
        byte flags = body[4];
        Assert.True(flags is 0 or 1, $"Unexpected envelope flags 0x{flags:x2}.");
        return flags == 1
            ? new EnvelopeReply(messageId, BinaryPrimitives.ReadUInt64BigEndian(body.AsSpan(5)), body[13..])
            : new EnvelopeReply(messageId, null, body[5..]);
    }
}
