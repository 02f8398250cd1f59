using System.Buffers;
using Wireframe.Framing;

using Wireframe.Tests.Support;

namespace Wireframe.Tests.Framing;

/// <summary>Drives a codec the way the read loop does, checking the <see cref="IFrameCodec{TFrame}"/> contract on every call.</summary>
internal static class FrameDecoding
{
    /// <summary>Decodes every whole frame at the start of <paramref name="input"/>; returns them and what stopped decoding.</summary>
    public static (List<TOut> Frames, DecodeResult Stop, ReadOnlySequence<byte> Remaining) DecodeAll<TFrame, TOut>(
        IFrameCodec<TFrame> codec, ReadOnlySequence<byte> input, Func<TFrame, TOut> copy)
    {
        var frames = new List<TOut>();
        long bound = input.Length + 1;
        for (long guard = 0; guard <= bound; guard++)
        {
            ReadOnlySequence<byte> before = input;
            DecodeResult result = codec.TryDecode(ref input, out TFrame frame);
            if (result.Status != DecodeStatus.Frame)
            {
                // The contract: nothing is consumed unless a frame is decoded.
                Assert.Equal(before.Length, input.Length);
                Assert.True(before.Start.Equals(input.Start), "TryDecode moved the input without decoding a frame.");
                return (frames, result, input);
            }

            Assert.True(input.Length < before.Length, "TryDecode returned a frame without consuming bytes.");
            frames.Add(copy(frame));
        }

        throw new InvalidOperationException("More frames than bytes: the codec loops.");
    }

    /// <summary>
    /// Feeds <paramref name="chunks"/> one at a time, decoding whatever is complete after each, as a
    /// pipe-driven read loop would; the unconsumed bytes stay a multi-segment sequence.
    /// </summary>
    public static List<TOut> DecodeIncrementally<TFrame, TOut>(IFrameCodec<TFrame> codec, IReadOnlyList<byte[]> chunks, Func<TFrame, TOut> copy)
    {
        var frames = new List<TOut>();
        var received = new List<byte[]>();
        long consumed = 0;
        foreach (byte[] chunk in chunks)
        {
            received.Add(chunk);
            ReadOnlySequence<byte> buffered = Segments.FromChunks(received).Slice(consumed);
            (List<TOut> decoded, DecodeResult stop, ReadOnlySequence<byte> rest) = DecodeAll(codec, buffered, copy);
            Assert.Equal(DecodeStatus.NeedMoreData, stop.Status);
            frames.AddRange(decoded);
            consumed += buffered.Length - rest.Length;
        }

        return frames;
    }

    public static List<byte[]> ChunksOf(byte[] data, IEnumerable<int> cuts)
    {
        var chunks = new List<byte[]>();
        foreach (ReadOnlyMemory<byte> segment in Segments.Split(data, cuts))
        {
            chunks.Add(segment.ToArray());
        }

        return chunks;
    }
}
