using System.Buffers;
using FsCheck;
using FsCheck.Fluent;
using Wireframe.Examples.Resp;
using Wireframe.Framing;
using static Wireframe.Tests.Resp.RespBytes;

using Wireframe.Tests.Support;

namespace Wireframe.Tests.Resp;

/// <summary>RESP has no length prefix, so the codec finds frame ends by walking headers: these pin that it does so at every boundary.</summary>
public sealed class RespCodecSplitTests
{
    // Multibulk, inline (CRLF and bare LF), a blank line, payloads holding CR LF and '*', and replies.
    private static readonly byte[] Wire = Ascii(
        "*3\r\n$3\r\nSET\r\n$4\r\nk\r\n1\r\n$5\r\n*1\r\n$\r\n" +
        "PING\r\n" +
        "\r\n" +
        "ECHO  hi\n" +
        "*2\r\n$3\r\nGET\r\n$0\r\n\r\n" +
        "+OK\r\n-ERR x\r\n:-7\r\n$-1\r\n*-1\r\n$2\r\n\r\n\r\n" +
        "*0\r\n");

    private static readonly List<byte[]> Expected = DecodeAll(new ReadOnlySequence<byte>(Wire)).Frames;

    [Fact]
    public void Reference_buffer_holds_twelve_frames()
    {
        Assert.Equal(12, Expected.Count);
        Assert.Equal(Ascii("ECHO  hi\r\n"), Expected[3]);
    }

    [Fact]
    public void Every_single_split_point_yields_the_same_frames()
    {
        for (int cut = 0; cut <= Wire.Length; cut++)
        {
            var (frames, last, remaining) = DecodeAll(Segments.At(Wire, cut));
            Assert.Equal(Expected, frames);
            Assert.Equal(DecodeResult.NeedMoreData, last);
            Assert.Equal(0, remaining);
        }
    }

    [Fact]
    public void Every_pair_of_split_points_yields_the_same_frames()
    {
        for (int first = 0; first <= Wire.Length; first++)
        {
            for (int second = first; second <= Wire.Length; second++)
            {
                Assert.Equal(Expected, DecodeAll(Segments.At(Wire, first, second)).Frames);
            }
        }
    }

    [Fact]
    public void One_byte_segments_yield_the_same_frames()
    {
        Assert.Equal(Expected, DecodeAll(Segments.Bytewise(Wire)).Frames);
    }

    [Fact]
    public void Every_prefix_decodes_its_complete_frames_and_leaves_the_rest_untouched()
    {
        // Feeding the stream one byte at a time: after each byte, exactly the complete frames come out.
        var boundaries = new List<int> { 0 };
        foreach (byte[] frame in Expected)
        {
            boundaries.Add(boundaries[^1] + FrameLengthOnWire(frame));
        }

        Assert.Equal(Wire.Length, boundaries[^1]);
        for (int length = 0; length <= Wire.Length; length++)
        {
            var (frames, last, remaining) = DecodeAll(Segments.Bytewise(Wire[..length]));
            int complete = boundaries.Count(b => b <= length) - 1;
            Assert.Equal(Expected.Take(complete), frames);
            Assert.Equal(DecodeResult.NeedMoreData, last);
            Assert.Equal(length - boundaries[complete], remaining);
        }
    }

    [Fact]
    public void Any_commands_with_any_binary_arguments_round_trip_through_any_segmentation()
    {
        Gen<byte[]> argument = Gen.Frequency(
            (4, Gen.Choose(0, 12).SelectMany(n => Gen.ArrayOf(Gen.Choose(0, 255).Select(b => (byte)b), n))),
            (2, Gen.Choose(0, 40).SelectMany(n => Gen.ArrayOf(Gen.Elements((byte)'\r', (byte)'\n', (byte)'$', (byte)'*', (byte)'0'), n))),
            (1, Gen.Choose(0, 5000).SelectMany(n => Gen.ArrayOf(Gen.Choose(0, 255).Select(b => (byte)b), n))));
        Gen<byte[][]> command = Gen.Choose(1, 6).SelectMany(n => Gen.ArrayOf(argument, n));
        Gen<(byte[][][], int[])> gen =
            from commands in Gen.Choose(1, 8).SelectMany(n => Gen.ArrayOf(command, n))
            from cuts in Gen.ArrayOf(Gen.Choose(0, 1_000_000))
            select (commands, cuts);

        Check.One(Config.QuickThrowOnFailure.WithMaxTest(200), Prop.ForAll(Arb.From(gen), ((byte[][][] Commands, int[] Cuts) t) =>
        {
            byte[] wire = t.Commands.SelectMany(c => Encode(RespFrame.Command(c))).ToArray();
            int[] cuts = t.Cuts.Select(c => c % (wire.Length + 1)).Order().ToArray();

            var (frames, last, remaining) = DecodeAll(Segments.At(wire, cuts));

            Assert.Equal(t.Commands.Length, frames.Count);
            Assert.Equal(DecodeResult.NeedMoreData, last);
            Assert.Equal(0, remaining);
            for (int i = 0; i < frames.Count; i++)
            {
                RespFrame decoded = DecodeOne(frames[i]);
                Assert.Equal(t.Commands[i].Length, decoded.Count);
                int index = 0;
                foreach (ReadOnlySequence<byte> arg in decoded.Arguments)
                {
                    Assert.Equal(t.Commands[i][index], arg.ToArray());
                    Assert.Equal(t.Commands[i][index], decoded.GetArgument(index).ToArray());
                    index++;
                }
            }
        }));
    }

    [Fact]
    public void Arguments_of_a_command_split_across_segments_are_read_correctly_from_the_frame_itself()
    {
        // Decoding a multi-segment input gives a frame whose arguments straddle segments too.
        byte[] wire = Encode(RespFrame.Command(Ascii("SET"), Ascii("key\r\n"), new byte[] { 0, 13, 10, 255 }));
        for (int cut = 0; cut <= wire.Length; cut++)
        {
            var input = Segments.At(wire, cut);
            Assert.Equal(DecodeResult.Decoded, Codec.TryDecode(ref input, out RespFrame frame));
            Assert.Equal("SET", Text(frame.Name));
            Assert.Equal(["SET", "key\r\n", "\0\r\n\u00ff"], RespCodecTests.EnumerateArguments(frame));
            Assert.Equal(new byte[] { 0, 13, 10, 255 }, frame.GetArgument(2).ToArray());
        }
    }

    [Fact]
    public void Inline_words_split_across_segments_are_read_correctly()
    {
        byte[] wire = Ascii("  SET\tkey   value \r\n");
        for (int cut = 0; cut <= wire.Length; cut++)
        {
            var input = Segments.At(wire, cut);
            Assert.Equal(DecodeResult.Decoded, Codec.TryDecode(ref input, out RespFrame frame));
            Assert.Equal(["SET", "key", "value"], RespCodecTests.EnumerateArguments(frame));
            Assert.Equal("value", Text(frame.GetArgument(2)));
        }
    }

    private static int FrameLengthOnWire(byte[] reencoded)
    {
        // Re-encoding is byte-identical except for inline commands, which always gain a CRLF.
        string text = System.Text.Encoding.Latin1.GetString(reencoded);
        return text switch
        {
            "ECHO  hi\r\n" => "ECHO  hi\n".Length,
            _ => reencoded.Length,
        };
    }
}
