using System.Buffers;
using System.Globalization;

namespace Wireframe.Examples.Resp;

/// <summary>Writes the pieces of RESP encodings.</summary>
internal static class RespWriter
{
    /// <summary>The longest header: a type byte, a sign, 19 digits and CRLF.</summary>
    public const int MaxHeaderLength = 23;

    /// <summary>Payloads up to this size are written with one buffer request and one advance.</summary>
    private const int SmallLength = 4096;

    /// <summary>Gets the length of <c>$value\r\n</c>.</summary>
    public static int HeaderLength(long value)
    {
        int digits = value < 0 ? 2 : 1;
        for (long rest = Math.Abs(value / 10); rest > 0; rest /= 10)
        {
            digits++;
        }

        return digits + 3;
    }

    public static void WriteHeader(IBufferWriter<byte> output, byte prefix, long value)
    {
        int written = WriteHeader(output.GetSpan(MaxHeaderLength), prefix, value);
        output.Advance(written);
    }

    /// <summary>Writes <c>{prefix}{value}\r\n</c> into a span of at least <see cref="MaxHeaderLength"/> bytes.</summary>
    public static int WriteHeader(Span<byte> span, byte prefix, long value)
    {
        span[0] = prefix;
        int digits;
        if ((ulong)value < 10)
        {
            span[1] = (byte)('0' + value);
            digits = 1;
        }
        else if (!value.TryFormat(span[1..], out digits, default, CultureInfo.InvariantCulture))
        {
            throw new InvalidOperationException("The header span is too small.");
        }

        span[digits + 1] = (byte)'\r';
        span[digits + 2] = (byte)'\n';
        return digits + 3;
    }

    /// <summary>Writes bytes that must fit on one line, with CR and LF replaced by spaces.</summary>
    public static void WriteLine(IBufferWriter<byte> output, byte prefix, in ReadOnlySequence<byte> bytes)
    {
        if (bytes.IsSingleSegment && bytes.Length <= SmallLength)
        {
            // +OK, +PONG and other short lines: one span, one advance.
            ReadOnlySpan<byte> source = bytes.FirstSpan;
            Span<byte> span = output.GetSpan(source.Length + 3);
            span[0] = prefix;
            source.CopyTo(span[1..]);
            if (source.ContainsAny((byte)'\r', (byte)'\n'))
            {
                MapLineBreaks(span.Slice(1, source.Length));
            }

            span[source.Length + 1] = (byte)'\r';
            span[source.Length + 2] = (byte)'\n';
            output.Advance(source.Length + 3);
            return;
        }

        output.GetSpan(1)[0] = prefix;
        output.Advance(1);
        foreach (ReadOnlyMemory<byte> segment in bytes)
        {
            ReadOnlySpan<byte> rest = segment.Span;
            while (!rest.IsEmpty)
            {
                Span<byte> span = output.GetSpan(Math.Min(rest.Length, SmallLength));
                int n = Math.Min(span.Length, rest.Length);
                rest[..n].CopyTo(span);
                MapLineBreaks(span[..n]);
                output.Advance(n);
                rest = rest[n..];
            }
        }

        output.Write("\r\n"u8);
    }

    /// <summary>Writes text that must fit on one line, as UTF-8, with CR and LF replaced by spaces.</summary>
    public static void WriteLine(IBufferWriter<byte> output, byte prefix, string text)
    {
        if (text.Length > SmallLength)
        {
            WriteLine(output, prefix, new ReadOnlySequence<byte>(System.Text.Encoding.UTF8.GetBytes(text)));
            return;
        }

        int max = System.Text.Encoding.UTF8.GetMaxByteCount(text.Length);
        Span<byte> span = output.GetSpan(max + 3);
        span[0] = prefix;
        int n = System.Text.Encoding.UTF8.GetBytes(text, span[1..]);
        MapLineBreaks(span.Slice(1, n));
        span[n + 1] = (byte)'\r';
        span[n + 2] = (byte)'\n';
        output.Advance(n + 3);
    }

    /// <summary>Writes <c>$len\r\npayload\r\n</c>.</summary>
    public static void WriteBulk(IBufferWriter<byte> output, in ReadOnlySequence<byte> payload)
    {
        long length = payload.Length;
        if (length <= SmallLength)
        {
            // Small values, the common case: one span, one advance.
            Span<byte> span = output.GetSpan(MaxHeaderLength + (int)length + 2);
            int n = WriteHeader(span, (byte)'$', length);
            payload.CopyTo(span[n..]);
            n += (int)length;
            span[n] = (byte)'\r';
            span[n + 1] = (byte)'\n';
            output.Advance(n + 2);
            return;
        }

        WriteHeader(output, (byte)'$', length);
        foreach (ReadOnlyMemory<byte> segment in payload)
        {
            output.Write(segment.Span);
        }

        output.Write("\r\n"u8);
    }

    public static void WriteRaw(IBufferWriter<byte> output, in ReadOnlySequence<byte> bytes)
    {
        foreach (ReadOnlyMemory<byte> segment in bytes)
        {
            output.Write(segment.Span);
        }
    }

    private static void MapLineBreaks(Span<byte> span)
    {
        // RESP simple strings and errors end at the first CR LF, so they cannot carry one.
        span.Replace((byte)'\r', (byte)' ');
        span.Replace((byte)'\n', (byte)' ');
    }
}
