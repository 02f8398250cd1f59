using System.Buffers;

namespace Wireframe.Fragmentation;

/// <summary>A reusable link of a <see cref="ReadOnlySequence{T}"/> that joins memory blocks without copying them.</summary>
internal sealed class ChainSegment : ReadOnlySequenceSegment<byte>
{
    /// <summary>Points the link at <paramref name="memory"/>, followed by <paramref name="next"/>.</summary>
    public void Set(ReadOnlyMemory<byte> memory, ChainSegment? next, long runningIndex)
    {
        Memory = memory;
        Next = next;
        RunningIndex = runningIndex;
    }
}
