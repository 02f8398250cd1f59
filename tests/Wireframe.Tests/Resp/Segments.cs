using System.Buffers;

namespace Wireframe.Tests.Resp;

/// <summary>Builds multi-segment sequences, as a pipe hands them over when data straddles its buffers.</summary>
internal static class Segments
{
    /// <summary>Splits <paramref name="data"/> at the given offsets (ascending, each segment its own array).</summary>
    public static ReadOnlySequence<byte> Split(byte[] data, params int[] cuts)
    {
        var pieces = new List<byte[]>();
        int start = 0;
        foreach (int cut in cuts.Append(data.Length))
        {
            pieces.Add(data[start..cut]);
            start = cut;
        }

        return Chain(pieces);
    }

    /// <summary>One segment per byte: every position is a segment boundary.</summary>
    public static ReadOnlySequence<byte> Bytewise(byte[] data) => Chain(data.Select(b => new[] { b }).ToList());

    private static ReadOnlySequence<byte> Chain(List<byte[]> pieces)
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
        public Segment(byte[] bytes, long runningIndex)
        {
            Memory = bytes;
            RunningIndex = runningIndex;
        }

        public Segment Append(byte[] bytes)
        {
            var next = new Segment(bytes, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
