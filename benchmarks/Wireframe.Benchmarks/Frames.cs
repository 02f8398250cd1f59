using System.Buffers;
using Wireframe.Framing;
using Wireframe.Messages;

namespace Wireframe.Benchmarks;

/// <summary>Builds the wire bytes the benchmarks feed in, with the framework's own codecs.</summary>
internal static class Frames
{
    /// <summary>A payload of <paramref name="size"/> bytes with a recognisable pattern.</summary>
    public static byte[] Payload(int size)
    {
        var payload = new byte[size];
        for (int i = 0; i < payload.Length; i++)
        {
            payload[i] = (byte)(i * 31 + 7);
        }

        return payload;
    }

    /// <summary>Encodes <paramref name="count"/> copies of a frame back to back.</summary>
    public static byte[] Repeat<TFrame>(IFrameCodec<TFrame> codec, int count, Func<int, TFrame> frame)
    {
        var output = new ArrayBufferWriter<byte>();
        for (int i = 0; i < count; i++)
        {
            codec.Encode(frame(i), output);
        }

        return output.WrittenSpan.ToArray();
    }

    /// <summary><paramref name="count"/> raw frames: <c>[u32 BE length][payload]</c>.</summary>
    public static byte[] LengthDelimited(int count, byte[] payload) =>
        Repeat(new LengthDelimitedCodec(), count, _ => new ReadOnlySequence<byte>(payload));

    /// <summary><paramref name="count"/> envelopes with correlation ids 1..count.</summary>
    public static byte[] Envelopes(int count, uint messageId, byte[] payload) =>
        Repeat(new EnvelopeCodec(), count, i => new Envelope(messageId, (ulong)(i + 1), new ReadOnlySequence<byte>(payload)));

    /// <summary>
    /// Splits a buffer of length-prefixed frames so that every frame spans two segments, cut at
    /// the frame's midpoint (inside the header for small envelopes, inside the payload otherwise):
    /// the decoder's slow path, which a pipe hits whenever a frame straddles its 4 KiB blocks.
    /// </summary>
    public static ReadOnlySequence<byte> SplitEveryFrame(byte[] frames, int prefixSize = 4)
    {
        var cuts = new List<int>();
        int offset = 0;
        while (offset < frames.Length)
        {
            int length = prefixSize + (int)System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(frames.AsSpan(offset));
            cuts.Add(offset + (length / 2));
            cuts.Add(offset + length);
            offset += length;
        }

        return Segments.Create(frames, cuts);
    }
}
