using System.Buffers;
using Wireframe.Examples.Resp;
using Wireframe.Framing;
using static Wireframe.Tests.Resp.RespBytes;

namespace Wireframe.Tests.Resp;

/// <summary>The hot path of a command allocates nothing: decoding, routing, reading arguments, looking keys up, encoding replies.</summary>
public sealed class RespAllocationTests
{
    private static readonly RespEnvelopeFormat Format = new(RespCommandTable.Default);

    [Fact]
    public void Decoding_pipelined_commands_and_reading_their_names_and_arguments_allocates_nothing()
    {
        byte[] wire = [.. Encode(RespFrame.Command("SET", "key:1", "value")), .. Encode(RespFrame.Command("GET", "key:1")), .. "PING\r\n"u8,
            .. Encode(RespFrame.Command("DEL", "a", "b", "c"))];
        long checksum = DecodeAll(wire);

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100; i++)
        {
            checksum += DecodeAll(wire);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(101 * DecodeAll(wire), checksum);
    }

    [Fact]
    public void Looking_up_removing_and_overwriting_existing_keys_allocates_nothing()
    {
        var store = new RespStore();
        byte[] value = [1, 2, 3];
        store.Set("key"u8, value);
        Exercise(store, value);

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100; i++)
        {
            Exercise(store, value);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.True(store.TryGet("key"u8, out byte[]? stored));
        Assert.Same(value, stored);

        static void Exercise(RespStore store, byte[] value)
        {
            Assert.True(store.TryGet("key"u8, out _));
            Assert.True(store.ContainsKey("key"u8));
            Assert.False(store.Remove("missing"u8));
            store.Set("key"u8, value);
        }
    }

    [Fact]
    public void Encoding_common_replies_allocates_nothing()
    {
        var output = new ArrayBufferWriter<byte>(64 * 1024);
        byte[] value = [.. "hello"u8];
        EncodeReplies(output, value);

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100; i++)
        {
            output.ResetWrittenCount();
            EncodeReplies(output, value);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal("+OK\r\n+PONG\r\n$5\r\nhello\r\n$-1\r\n:42\r\n-ERR value is not an integer or out of range\r\n", System.Text.Encoding.ASCII.GetString(output.WrittenSpan));
    }

    private static void EncodeReplies(ArrayBufferWriter<byte> output, byte[] value)
    {
        Codec.Encode(RespFrame.Ok, output);
        Codec.Encode(RespFrame.Pong, output);
        Codec.Encode(RespFrame.BulkString(value), output);
        Codec.Encode(RespFrame.NullBulkString, output);
        Codec.Encode(RespFrame.FromInteger(42), output);
        Codec.Encode(RespErrors.NotAnInteger, output);
    }

    private static long DecodeAll(byte[] wire)
    {
        var input = new ReadOnlySequence<byte>(wire);
        long checksum = 0;
        while (Codec.TryDecode(ref input, out RespFrame frame) == DecodeResult.Decoded)
        {
            checksum += Format.GetMessageId(frame);
            foreach (ReadOnlySequence<byte> argument in frame.Arguments)
            {
                checksum += argument.Length;
            }

            checksum += frame.Count > 1 ? frame.GetArgument(1).Length : 0;
        }

        return checksum;
    }
}
