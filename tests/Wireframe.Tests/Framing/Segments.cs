using System.Buffers;

namespace Wireframe.Tests.Framing;

/// <summary>Builds multi-segment sequences, the shape a pipe hands a codec when bytes arrive in pieces.</summary>
internal static class Segments
{
    /// <summary>Splits <paramref name="data"/> at <paramref name="cuts"/> (any values; taken modulo the length, sorted, deduplicated).</summary>
    public static ReadOnlySequence<byte> Split(byte[] data, IEnumerable<int> cuts)
    {
        int[] points = cuts.Select(c => data.Length == 0 ? 0 : Math.Abs(c % (data.Length + 1)))
            .Where(c => c > 0 && c < data.Length)
            .Distinct()
            .Order()
            .ToArray();
        if (points.Length == 0)
        {
            return new ReadOnlySequence<byte>(data);
        }

        var chunks = new List<byte[]>();
        int start = 0;
        foreach (int point in points.Append(data.Length))
        {
            chunks.Add(data[start..point]);
            start = point;
        }

        return FromChunks(chunks);
    }

    public static ReadOnlySequence<byte> FromChunks(IReadOnlyList<byte[]> chunks)
    {
        if (chunks.Count == 0)
        {
            return ReadOnlySequence<byte>.Empty;
        }

        var first = new Segment(chunks[0], 0);
        Segment last = first;
        for (int i = 1; i < chunks.Count; i++)
        {
            last = last.Append(chunks[i]);
        }

        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(byte[] memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(byte[] memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
