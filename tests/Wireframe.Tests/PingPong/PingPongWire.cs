using System.Buffers;
using System.Buffers.Binary;
using Wireframe.Examples.PingPong;
using Wireframe.Examples.PingPong.Messages;
using Wireframe.Messages;
using Wireframe.Serialization;
using Wireframe.Tests.Support;

namespace Wireframe.Tests.PingPong;

/// <summary>Byte-level helpers for PingPong tests: messages to and from bytes, envelopes over raw sockets.</summary>
internal static class PingPongWire
{
    public static readonly TimeSpan SafetyTimeout = TimeSpan.FromSeconds(30);

    public static byte[] Serialize<T>(T message)
        where T : IBinaryMessage<T>
    {
        var output = new ArrayBufferWriter<byte>();
        message.Write(output);
        return output.WrittenSpan.ToArray();
    }

    /// <summary>Reads a payload the way the framework does, trailing-bytes check included.</summary>
    public static T Deserialize<T>(ReadOnlySequence<byte> payload)
        where T : IBinaryMessage<T> =>
        BinaryMessageSerializer.Instance.GetFormatter<T>()!.Deserialize(payload);

    public static T Deserialize<T>(byte[] payload)
        where T : IBinaryMessage<T> =>
        Deserialize<T>(new ReadOnlySequence<byte>(payload));

    /// <summary>Splits bytes into a sequence of segments of at most <paramref name="segmentSize"/> bytes, as a socket might deliver them.</summary>
    public static ReadOnlySequence<byte> Segmented(byte[] bytes, int segmentSize) => Segments.Chunked(bytes, segmentSize);

    /// <summary>A complete envelope frame carrying a ping.</summary>
    public static byte[] PingFrame(uint value, ulong? correlationId = null) =>
        FrameSocket.Envelope(PingPongApp.PingMessageId, Serialize(new Ping(value)), correlationId);

    /// <summary>Parses a frame body (without its length prefix) as FrameSocket returns it.</summary>
    public static Envelope ParseBody(byte[]? body)
    {
        Assert.NotNull(body);
        Assert.True(body.Length >= 5, $"An envelope body has at least 5 bytes; got {body.Length}.");
        uint messageId = BinaryPrimitives.ReadUInt32BigEndian(body);
        byte flags = body[4];
        Assert.True(flags is 0 or 1, $"Reserved flag bits are set: 0x{flags:x2}.");
        if (flags == 0)
        {
            return new Envelope(messageId, null, body.AsMemory(5));
        }

        Assert.True(body.Length >= 13, $"A correlated envelope body has at least 13 bytes; got {body.Length}.");
        return new Envelope(messageId, BinaryPrimitives.ReadUInt64BigEndian(body.AsSpan(5)), body.AsMemory(13));
    }

    public static Pong AssertPong(Envelope frame, ulong? correlationId)
    {
        Assert.Equal(PingPongApp.PongMessageId, frame.MessageId);
        Assert.Equal(correlationId, frame.CorrelationId);
        Assert.Equal(4, frame.Payload.Length);
        return Deserialize<Pong>(frame.Payload);
    }

    public static ErrorMessage AssertError(Envelope frame, ulong? correlationId)
    {
        Assert.Equal(PingPongApp.ErrorMessageId, frame.MessageId);
        Assert.Equal(correlationId, frame.CorrelationId);
        return Deserialize<ErrorMessage>(frame.Payload);
    }
}
