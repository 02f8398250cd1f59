using System.Buffers;

namespace Wireframe.Framing;

/// <summary>Copies sequences into buffer writers without intermediate arrays.</summary>
internal static class BufferWriting
{
    public static void Write(IBufferWriter<byte> output, in ReadOnlySequence<byte> source)
    {
        if (source.IsSingleSegment)
        {
            output.Write(source.FirstSpan);
            return;
        }

        foreach (ReadOnlyMemory<byte> segment in source)
        {
            output.Write(segment.Span);
        }
    }
}
