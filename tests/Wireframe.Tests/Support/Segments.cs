using System.Buffers;

namespace Wireframe.Tests.Support;

/// <summary>
/// Builds multi-segment sequences: the shape a pipe hands a codec when bytes arrive in pieces or
/// straddle its buffers. Each segment is its own memory block.
/// </summary>
internal static class Segments
{
    /// <summary>Splits <paramref name="data"/> at <paramref name="cuts"/>, which may be any values (property-test input): taken modulo the length, sorted, deduplicated.</summary>
    public static ReadOnlySequence<byte> Split(byte[] data, IEnumerable<int> cuts)
    {
        int[] points = cuts.Select(c => data.Length == 0 ? 0 : Math.Abs(c % (data.Length + 1)))
            .Where(c => c > 0 && c < data.Length)
            .Distinct()
            .Order()
            .ToArray();
        return At(data, points);
    }

    /// <summary>Splits <paramref name="data"/> exactly at the given ascending offsets (an offset of 0 makes an empty first segment).</summary>
    public static ReadOnlySequence<byte> At(byte[] data, params int[] cuts)
    {
        var pieces = new List<ReadOnlyMemory<byte>>();
        int start = 0;
        foreach (int cut in cuts.Append(data.Length))
        {
            pieces.Add(data.AsSpan(start, cut - start).ToArray());
            start = cut;
        }

        return Chain(pieces);
    }

    /// <summary>One segment per byte: every position is a segment boundary.</summary>
    public static ReadOnlySequence<byte> Bytewise(byte[] data) => Chain(data.Select(b => (ReadOnlyMemory<byte>)new[] { b }).ToList());

    /// <summary>Segments of at most <paramref name="segmentSize"/> bytes, as a socket might deliver them.</summary>
    public static ReadOnlySequence<byte> Chunked(byte[] data, int segmentSize)
    {
        var pieces = new List<ReadOnlyMemory<byte>>();
        for (int offset = 0; offset < data.Length; offset += segmentSize)
        {
            pieces.Add(data.AsMemory(offset, Math.Min(segmentSize, data.Length - offset)));
        }

        return Chain(pieces);
    }

    /// <summary>One segment per chunk, in order.</summary>
    public static ReadOnlySequence<byte> FromChunks(IReadOnlyList<byte[]> chunks) => Chain(chunks.Select(c => (ReadOnlyMemory<byte>)c).ToList());

    /// <summary>One segment per block of memory, in order.</summary>
    public static ReadOnlySequence<byte> Chain(IReadOnlyList<ReadOnlyMemory<byte>> pieces)
    {
        if (pieces.Count == 0)
        {
            return ReadOnlySequence<byte>.Empty;
        }

        var first = new Segment(pieces[0], 0);
        Segment last = first;
        for (int i = 1; i < pieces.Count; i++)
        {
            last = last.Append(pieces[i]);
        }

        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
