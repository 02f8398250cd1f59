using System.Buffers;

namespace Wireframe.Benchmarks;

/// <summary>Builds multi-segment sequences whose segments are separate arrays, as a pipe's blocks are.</summary>
internal static class Segments
{
    /// <summary>Cuts <paramref name="bytes"/> at the ascending offsets in <paramref name="cuts"/> (the last must be the length).</summary>
    public static ReadOnlySequence<byte> Create(byte[] bytes, IReadOnlyList<int> cuts)
    {
        Segment? first = null;
        Segment? last = null;
        int start = 0;
        foreach (int cut in cuts)
        {
            var segment = new Segment(bytes.AsSpan(start, cut - start).ToArray());
            if (last is null)
            {
                first = segment;
            }
            else
            {
                last.Append(segment);
            }

            last = segment;
            start = cut;
        }

        return first is null ? ReadOnlySequence<byte>.Empty : new ReadOnlySequence<byte>(first, 0, last!, last!.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(byte[] memory)
        {
            Memory = memory;
        }

        public void Append(Segment next)
        {
            next.RunningIndex = RunningIndex + Memory.Length;
            Next = next;
        }
    }
}
