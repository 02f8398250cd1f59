using System.Buffers;

namespace Wireframe.Examples.Resp;

/// <summary>
/// Splits an inline command into words the way Redis does, on whitespace. Quotes are not
/// interpreted: unquoting would need a copy, and only people typing in telnet send inline commands.
/// </summary>
internal static class InlineWords
{
    public static bool IsSeparator(byte b) => b is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\v' or (byte)'\f';

    /// <summary>Counts the words of a line and locates the first.</summary>
    public static void Scan(in ReadOnlySequence<byte> line, out int count, out int firstOffset, out int firstLength)
    {
        count = 0;
        firstOffset = 0;
        firstLength = 0;
        long cursor = 0;
        while (TryNext(line, ref cursor, out long start, out long length))
        {
            if (count++ == 0)
            {
                firstOffset = (int)start;
                firstLength = (int)length;
            }
        }
    }

    public static ReadOnlySequence<byte> Next(in ReadOnlySequence<byte> line, ref long cursor) =>
        TryNext(line, ref cursor, out long start, out long length)
            ? line.Slice(start, length)
            : throw new InvalidOperationException("The inline command has no more words.");

    /// <summary>Finds the word at or after <paramref name="cursor"/> and moves the cursor past it.</summary>
    public static bool TryNext(in ReadOnlySequence<byte> line, ref long cursor, out long start, out long length)
    {
        if (line.IsSingleSegment)
        {
            ReadOnlySpan<byte> span = line.FirstSpan;
            int i = (int)cursor;
            while (i < span.Length && IsSeparator(span[i]))
            {
                i++;
            }

            int first = i;
            while (i < span.Length && !IsSeparator(span[i]))
            {
                i++;
            }

            cursor = i;
            start = first;
            length = i - first;
            return length > 0;
        }

        var reader = new SequenceReader<byte>(line);
        reader.Advance(cursor);
        while (reader.TryPeek(out byte b) && IsSeparator(b))
        {
            reader.Advance(1);
        }

        start = reader.Consumed;
        while (reader.TryPeek(out byte b) && !IsSeparator(b))
        {
            reader.Advance(1);
        }

        cursor = reader.Consumed;
        length = cursor - start;
        return length > 0;
    }
}
