using System.Buffers;
using System.Text;
using Wireframe.Examples.Resp;
using Wireframe.Framing;

namespace Wireframe.Tests.Resp;

/// <summary>Helpers for RESP tests: encoding frames to bytes and decoding bytes to every frame they hold.</summary>
internal static class RespBytes
{
    public static readonly RespCodec Codec = new();

    public static byte[] Ascii(string text) => Encoding.ASCII.GetBytes(text);

    public static byte[] Encode(RespFrame frame, RespCodec? codec = null)
    {
        var output = new ArrayBufferWriter<byte>();
        (codec ?? Codec).Encode(frame, output);
        return output.WrittenSpan.ToArray();
    }

    public static string EncodeText(RespFrame frame) => Encoding.Latin1.GetString(Encode(frame));

    /// <summary>
    /// Decodes every frame of a sequence and re-encodes each (so the result outlives the input);
    /// returns them and the status that stopped decoding.
    /// </summary>
    public static (List<byte[]> Frames, DecodeResult Last, long Remaining) DecodeAll(ReadOnlySequence<byte> input, RespCodec? codec = null)
    {
        codec ??= Codec;
        var frames = new List<byte[]>();
        for (int guard = 0; guard < 100_000; guard++)
        {
            ReadOnlySequence<byte> before = input;
            DecodeResult result = codec.TryDecode(ref input, out RespFrame frame);
            if (result.Status != DecodeStatus.Frame)
            {
                Assert.Equal(before.Length, input.Length);
                return (frames, result, input.Length);
            }

            Assert.True(input.Length < before.Length, "A decoded frame must consume bytes.");
            frames.Add(Encode(frame, codec));
        }

        throw new InvalidOperationException("Too many frames.");
    }

    public static RespFrame DecodeOne(string text) => DecodeOne(Encoding.Latin1.GetBytes(text));

    public static RespFrame DecodeOne(byte[] bytes)
    {
        var input = new ReadOnlySequence<byte>(bytes);
        DecodeResult result = Codec.TryDecode(ref input, out RespFrame frame);
        Assert.Equal(DecodeResult.Decoded, result);
        Assert.True(input.IsEmpty, $"{input.Length} bytes were left undecoded.");
        return frame;
    }

    public static DecodeResult TryDecode(string text, RespCodec? codec = null) => TryDecode(Encoding.Latin1.GetBytes(text), codec);

    public static DecodeResult TryDecode(byte[] bytes, RespCodec? codec = null)
    {
        var input = new ReadOnlySequence<byte>(bytes);
        DecodeResult result = (codec ?? Codec).TryDecode(ref input, out _);
        if (result.Status != DecodeStatus.Frame)
        {
            Assert.Equal(bytes.Length, input.Length);
        }

        return result;
    }

    public static string Text(ReadOnlySequence<byte> bytes) => Encoding.Latin1.GetString(bytes.ToArray());
}
