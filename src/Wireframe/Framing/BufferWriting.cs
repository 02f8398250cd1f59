using System.Buffers;

namespace Wireframe.Framing;

/// <summary>Copies sequences into buffer writers without intermediate arrays.</summary>
internal static class BufferWriting
{
    /// <summary>Copies <paramref name="source"/> into <paramref name="output"/>.</summary>
    /// <typeparam name="TWriter">The writer's type: a struct writer gets code of its own, with direct calls.</typeparam>
    /// <param name="output">Where the bytes go.</param>
    /// <param name="source">The bytes.</param>
    public static void Write<TWriter>(TWriter output, in ReadOnlySequence<byte> source)
        where TWriter : IBufferWriter<byte>
    {
        if (source.IsSingleSegment)
        {
            Write(output, source.FirstSpan);
            return;
        }

        foreach (ReadOnlyMemory<byte> segment in source)
        {
            Write(output, segment.Span);
        }
    }

    // BuffersExtensions.Write takes the interface, which would box a struct writer.
    private static void Write<TWriter>(TWriter output, ReadOnlySpan<byte> source)
        where TWriter : IBufferWriter<byte>
    {
        while (!source.IsEmpty)
        {
            Span<byte> destination = output.GetSpan(1);
            if (destination.IsEmpty)
            {
                // The same exception BuffersExtensions.Write throws for a writer out of room.
                throw new ArgumentOutOfRangeException(nameof(output), $"The buffer writer ({output.GetType().Name}) returned no space for a requested byte.");
            }

            int count = Math.Min(destination.Length, source.Length);
            source[..count].CopyTo(destination);
            output.Advance(count);
            source = source[count..];
        }
    }
}
