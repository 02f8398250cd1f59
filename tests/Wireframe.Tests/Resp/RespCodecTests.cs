using System.Buffers;
using System.Text;
using Wireframe.Examples.Resp;
using Wireframe.Framing;
using static Wireframe.Tests.Resp.RespBytes;

using Wireframe.Tests.Support;

namespace Wireframe.Tests.Resp;

public sealed class RespCodecTests
{
    [Fact]
    public void Multibulk_command_decodes_to_its_arguments_as_slices_of_the_input()
    {
        byte[] bytes = Ascii("*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\n");
        var input = new ReadOnlySequence<byte>(bytes);

        Assert.Equal(DecodeResult.Decoded, Codec.TryDecode(ref input, out RespFrame frame));

        Assert.True(input.IsEmpty);
        Assert.Equal(RespKind.Array, frame.Kind);
        Assert.True(frame.IsCommand);
        Assert.Equal(3, frame.Count);
        Assert.Equal("SET", Text(frame.Name));
        Assert.Equal(["SET", "key", "value"], EnumerateArguments(frame));
        Assert.Equal("value", Text(frame.GetArgument(2)));

        // A slice, not a copy: it shares the input's array.
        Assert.True(System.Runtime.InteropServices.MemoryMarshal.TryGetArray(frame.GetArgument(1).First, out ArraySegment<byte> segment));
        Assert.Same(bytes, segment.Array);
        Assert.Equal(17, segment.Offset);
    }

    [Fact]
    public void Arguments_can_be_skipped_and_read_by_index()
    {
        RespFrame frame = DecodeOne("*4\r\n$3\r\nDEL\r\n$1\r\na\r\n$0\r\n\r\n$2\r\ncc\r\n");

        Assert.Equal(["a", "", "cc"], EnumerateArguments(frame, skip: 1));
        Assert.Equal(["cc"], EnumerateArguments(frame, skip: 3));
        Assert.Empty(EnumerateArguments(frame, skip: 4));
        Assert.Equal("", Text(frame.GetArgument(2)));
        Assert.Throws<ArgumentOutOfRangeException>(() => frame.GetArgument(4));
    }

    [Theory]
    [InlineData("PING\r\n", new[] { "PING" })]
    [InlineData("PING\n", new[] { "PING" })]
    [InlineData("  set   key \t value  \r\n", new[] { "set", "key", "value" })]
    [InlineData("ECHO \"quoted words\"\r\n", new[] { "ECHO", "\"quoted", "words\"" })]
    public void Inline_command_splits_on_whitespace_and_accepts_crlf_or_lf(string line, string[] words)
    {
        RespFrame frame = DecodeOne(line);

        Assert.Equal(RespKind.Inline, frame.Kind);
        Assert.True(frame.IsCommand);
        Assert.Equal(words.Length, frame.Count);
        Assert.Equal(words[0], Text(frame.Name));
        Assert.Equal(words, EnumerateArguments(frame));
        Assert.Equal(words[^1], Text(frame.GetArgument(words.Length - 1)));
    }

    [Theory]
    [InlineData("\r\n")]
    [InlineData("\n")]
    [InlineData("   \t \r\n")]
    [InlineData("*0\r\n")]
    public void Blank_lines_and_empty_arrays_decode_as_frames_that_are_not_commands(string text)
    {
        RespFrame frame = DecodeOne(text);

        Assert.False(frame.IsCommand);
        Assert.Equal(0, frame.Count);
    }

    [Fact]
    public void Every_reply_type_decodes()
    {
        Assert.Equal("OK", DecodeOne("+OK\r\n").GetString());
        Assert.Equal(RespKind.SimpleString, DecodeOne("+OK\r\n").Kind);
        Assert.Equal("ERR bad thing", DecodeOne("-ERR bad thing\r\n").GetString());
        Assert.Equal(RespKind.Error, DecodeOne("-ERR bad thing\r\n").Kind);
        Assert.Equal(42, DecodeOne(":42\r\n").Integer);
        Assert.Equal(long.MinValue, DecodeOne(":-9223372036854775808\r\n").Integer);
        Assert.Equal(long.MaxValue, DecodeOne(":9223372036854775807\r\n").Integer);
        Assert.Equal("hello", DecodeOne("$5\r\nhello\r\n").GetString());
        Assert.Equal("a\r\nb", DecodeOne("$4\r\na\r\nb\r\n").GetString());
        Assert.Equal("", DecodeOne("$0\r\n\r\n").GetString());
        Assert.Equal(RespKind.NullBulkString, DecodeOne("$-1\r\n").Kind);
        Assert.Equal(RespKind.NullArray, DecodeOne("*-1\r\n").Kind);
        RespFrame array = DecodeOne("*2\r\n$4\r\nsave\r\n$0\r\n\r\n");
        Assert.Equal("[\"save\", \"\"]", array.ToString());
    }

    [Fact]
    public void Replies_encode_to_the_exact_resp2_bytes()
    {
        Assert.Equal("+PONG\r\n", EncodeText(RespFrame.Pong));
        Assert.Equal("+OK\r\n", EncodeText(RespFrame.SimpleString("OK")));
        Assert.Equal("-ERR no\r\n", EncodeText(RespFrame.Error("ERR no")));
        Assert.Equal(":0\r\n", EncodeText(RespFrame.FromInteger(0)));
        Assert.Equal(":-12\r\n", EncodeText(RespFrame.FromInteger(-12)));
        Assert.Equal(":9223372036854775807\r\n", EncodeText(RespFrame.FromInteger(long.MaxValue)));
        Assert.Equal("$3\r\na\0b\r\n", EncodeText(RespFrame.BulkString([(byte)'a', 0, (byte)'b'])));
        Assert.Equal("$0\r\n\r\n", EncodeText(RespFrame.BulkString("")));
        Assert.Equal("$-1\r\n", EncodeText(RespFrame.NullBulkString));
        Assert.Equal("*-1\r\n", EncodeText(RespFrame.NullArray));
        Assert.Equal("*0\r\n", EncodeText(RespFrame.EmptyArray));
        Assert.Equal("*2\r\n:1\r\n*2\r\n$1\r\nx\r\n$-1\r\n", EncodeText(RespFrame.Array(RespFrame.FromInteger(1), RespFrame.Array(RespFrame.BulkString("x"), RespFrame.NullBulkString))));
        Assert.Equal("*2\r\n$3\r\nGET\r\n$1\r\nk\r\n", EncodeText(RespFrame.Command("GET", "k")));
        Assert.Equal("PING\r\n", EncodeText(RespFrame.Inline("PING")));
    }

    [Fact]
    public void Line_breaks_in_simple_strings_and_errors_are_sent_as_spaces()
    {
        Assert.Equal("-ERR a  b\r\n", EncodeText(RespFrame.Error("ERR a\r\nb")));
        Assert.Equal("+x y\r\n", EncodeText(RespFrame.SimpleString(new ReadOnlySequence<byte>(Ascii("x\ny")))));
    }

    [Fact]
    public void Large_bulk_string_from_several_segments_encodes_whole()
    {
        byte[] payload = new byte[10_000];
        new Random(7).NextBytes(payload);
        RespFrame frame = RespFrame.BulkString(Segments.At(payload, 1, 4096, 9000));

        byte[] encoded = Encode(frame);

        Assert.Equal(Ascii("$10000\r\n"), encoded[..8]);
        Assert.Equal(payload, encoded[8..^2]);
        Assert.Equal(Ascii("\r\n"), encoded[^2..]);
        Assert.Equal(payload, DecodeOne(encoded).Bytes.ToArray());
    }

    [Fact]
    public void Decoded_command_re_encodes_byte_for_byte()
    {
        byte[] bytes = Ascii("*2\r\n$4\r\nECHO\r\n$11\r\nhello world\r\n");

        Assert.Equal(bytes, Encode(DecodeOne(bytes)));
        Assert.Equal(Ascii("SET a b\r\n"), Encode(DecodeOne("SET a b\n")));
    }

    [Fact]
    public void Pipelined_commands_in_one_buffer_decode_one_per_call_in_order()
    {
        byte[] bytes = Ascii("*1\r\n$4\r\nPING\r\nPING\r\n*2\r\n$3\r\nGET\r\n$1\r\nk\r\n\r\n*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n*1\r\n$4\r\nPI");
        var input = new ReadOnlySequence<byte>(bytes);
        var names = new List<string>();

        for (int i = 0; i < 10 && Codec.TryDecode(ref input, out RespFrame frame) == DecodeResult.Decoded; i++)
        {
            names.Add(frame.IsCommand ? Text(frame.Name) : "(blank)");
        }

        Assert.Equal(["PING", "PING", "GET", "(blank)", "SET"], names);
        Assert.Equal("*1\r\n$4\r\nPI", Text(input));
    }

    [Theory]
    [InlineData("*")]
    [InlineData("*3")]
    [InlineData("*3\r")]
    [InlineData("*3\r\n")]
    [InlineData("*3\r\n$3\r\nSET\r\n$3\r\nke")]
    [InlineData("*1\r\n$4\r\nPING\r")]
    [InlineData("$5\r\nhell")]
    [InlineData("+OK\r")]
    [InlineData(":12")]
    [InlineData("PING")]
    [InlineData("PING\r")]
    public void Incomplete_input_needs_more_data_and_consumes_nothing(string text)
    {
        Assert.Equal(DecodeResult.NeedMoreData, TryDecode(text));
    }

    [Fact]
    public void Oversized_bulk_is_rejected_from_its_header_before_the_payload_arrives()
    {
        var codec = new RespCodec(new RespCodecOptions { MaxBulkLength = 100, MaxFrameLength = 1000 });

        DecodeResult result = TryDecode("*2\r\n$3\r\nSET\r\n$101\r\n", codec);

        Assert.Equal(FrameErrorKind.Oversized, result.Error);
        Assert.Equal(DecodeResult.CannotResynchronize, result.SkipBytes);
        Assert.Contains("MaxBulkLength (100)", result.Message, StringComparison.Ordinal);
        Assert.Equal(DecodeResult.NeedMoreData, TryDecode("*2\r\n$3\r\nSET\r\n$100\r\n", codec));
        Assert.Equal(FrameErrorKind.Oversized, TryDecode("$101\r\n", codec).Error);
    }

    [Fact]
    public void Default_bulk_limit_is_64_mib()
    {
        Assert.Equal(DecodeResult.NeedMoreData, TryDecode("*2\r\n$3\r\nSET\r\n$67108864\r\n"));
        Assert.Equal(FrameErrorKind.Oversized, TryDecode("*2\r\n$3\r\nSET\r\n$67108865\r\n").Error);
    }

    [Fact]
    public void Oversized_array_is_rejected_from_its_count()
    {
        var codec = new RespCodec(new RespCodecOptions { MaxArrayLength = 4 });

        Assert.Equal(DecodeResult.NeedMoreData, TryDecode("*4\r\n", codec));
        DecodeResult result = TryDecode("*5\r\n", codec);

        Assert.Equal(FrameErrorKind.Oversized, result.Error);
        Assert.Contains("MaxArrayLength (4)", result.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Command_longer_than_the_frame_limit_is_rejected_before_its_last_bulk_is_buffered()
    {
        var codec = new RespCodec(new RespCodecOptions { MaxBulkLength = 100, MaxFrameLength = 150 });
        string fifty = new('x', 50);

        Assert.Equal(DecodeResult.Decoded, TryDecode($"*2\r\n$50\r\n{fifty}\r\n$50\r\n{fifty}\r\n", codec));
        DecodeResult result = TryDecode($"*3\r\n$50\r\n{fifty}\r\n$50\r\n{fifty}\r\n$40\r\n", codec);

        Assert.Equal(FrameErrorKind.Oversized, result.Error);
        Assert.Contains("MaxFrameLength (150)", result.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Inline_line_is_limited_to_max_inline_length_without_waiting_for_its_end()
    {
        var codec = new RespCodec(new RespCodecOptions { MaxInlineLength = 10 });

        Assert.Equal(DecodeResult.Decoded, TryDecode("0123456789\r\n", codec));
        Assert.Equal(DecodeResult.Decoded, TryDecode("0123456789\n", codec));
        Assert.Equal(FrameErrorKind.Oversized, TryDecode("01234567890\n", codec).Error);
        Assert.Equal(DecodeResult.NeedMoreData, TryDecode("0123456789\r", codec));
        Assert.Equal(FrameErrorKind.Oversized, TryDecode("0123456789xx", codec).Error);
        Assert.Equal(FrameErrorKind.Oversized, TryDecode(new string('a', 1000), codec).Error);
        Assert.Equal(FrameErrorKind.Oversized, TryDecode("+0123456789xx", codec).Error);
    }

    [Theory]
    [InlineData("*2\r\n:1\r\n", "expected '$', got ':'")]
    [InlineData("*1\r\n*1\r\n", "expected '$', got '*'")]
    [InlineData("*1\r\n\x01", "expected '$', got '\\x01'")]
    [InlineData("*x\r\n", "invalid multibulk length")]
    [InlineData("*\r\n", "invalid multibulk length")]
    [InlineData("*-2\r\n", "invalid multibulk length")]
    [InlineData("*1\n", "invalid multibulk length")]
    [InlineData("*1\r\n$-1\r\n", "invalid bulk length")]
    [InlineData("*1\r\n$1x\r\n", "invalid bulk length")]
    [InlineData("*1\r\n$99999999999999999999\r\n", "invalid bulk length")]
    [InlineData("*1\r\n$3\r\nGETxx", "not followed by CRLF")]
    [InlineData("*1\r\n$03\r\nGET\r\n", "invalid bulk length")]
    [InlineData("*01\r\n$4\r\nPING\r\n", "invalid multibulk length")]
    [InlineData("*-0\r\n", "invalid multibulk length")]
    [InlineData("$-0\r\n", "invalid bulk length")]
    [InlineData(":007\r\n", "invalid integer")]
    [InlineData("$-2\r\n", "invalid bulk length")]
    [InlineData("$2\r\nab\n\n", "not followed by CRLF")]
    [InlineData(":1.5\r\n", "invalid integer")]
    [InlineData(":9223372036854775808\r\n", "invalid integer")]
    [InlineData("+OK\n", "must end with CRLF")]
    public void Protocol_violations_are_malformed_and_cannot_be_resynchronised(string text, string reason)
    {
        DecodeResult result = TryDecode(text);

        Assert.Equal(FrameErrorKind.Malformed, result.Error);
        Assert.Equal(DecodeResult.CannotResynchronize, result.SkipBytes);
        Assert.Contains(reason, result.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("", FrameEofKind.Clean)]
    [InlineData("*3\r", FrameEofKind.MidHeader)]
    [InlineData("$5", FrameEofKind.MidHeader)]
    [InlineData("*1\r\n$4\r\nPI", FrameEofKind.MidFrame)]
    [InlineData("PIN", FrameEofKind.MidFrame)]
    public void End_of_input_is_classified_by_where_the_command_stopped(string text, FrameEofKind expected)
    {
        Assert.Equal(expected, Codec.ClassifyEof(new ReadOnlySequence<byte>(Ascii(text))));
    }

    [Fact]
    public void Default_frame_cannot_be_encoded()
    {
        Assert.Throws<InvalidOperationException>(() => Encode(default));
    }

    [Fact]
    public void Inline_factory_rejects_line_breaks()
    {
        Assert.Throws<ArgumentException>(() => RespFrame.Inline("PING\r\nPING"));
    }

    [Fact]
    public void Options_reject_a_frame_limit_below_the_bulk_limit()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new RespCodec(new RespCodecOptions { MaxBulkLength = 100, MaxFrameLength = 99 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new RespCodec(new RespCodecOptions { MaxArrayLength = 0 }));
    }

    internal static List<string> EnumerateArguments(RespFrame frame, int skip = 0)
    {
        var arguments = new List<string>();
        foreach (ReadOnlySequence<byte> argument in frame.Arguments.Skip(skip))
        {
            arguments.Add(Encoding.Latin1.GetString(argument.ToArray()));
        }

        Assert.Equal(arguments.Count, frame.Arguments.Skip(skip).Count);
        return arguments;
    }
}
