using System.Buffers;
using Wireframe.Framing;

namespace Wireframe.Examples.Resp;

/// <summary>
/// The RESP2 codec: decodes what Redis clients send (arrays of bulk strings, inline commands) and
/// the replies a Redis server sends (simple strings, errors, integers, bulk strings, nulls, arrays of
/// bulk strings), and encodes all of them, nested arrays included.
/// </summary>
/// <remarks>
/// RESP has no length prefix for a whole command: the end of a frame is found by walking its
/// headers. Decoding slices the input (no copies, no strings) and is stateless, so a command that
/// is not complete yet is walked again from its start on the next read; a whole command within one
/// buffer segment, the usual case, is parsed on a span. Every limit is checked from a header,
/// before the bytes it announces are waited for. A protocol violation cannot be skipped (nothing
/// says where the next command starts), so it closes the connection, as in Redis. Arrays whose
/// elements are not bulk strings (nested replies) are encoded but not decoded: no client sends
/// them to a server, and this server never replies with them.
/// </remarks>
public sealed class RespCodec : IFrameCodec<RespFrame>
{
    private readonly int _maxBulk;
    private readonly int _maxArray;
    private readonly int _maxInline;
    private readonly int _maxFrame;

    /// <summary>Initializes a new instance of the <see cref="RespCodec"/> class.</summary>
    /// <param name="options">The limits; <see langword="null"/> for the defaults.</param>
    public RespCodec(RespCodecOptions? options = null)
    {
        Options = options ?? new RespCodecOptions();
        Options.Validate();
        _maxBulk = Options.MaxBulkLength;
        _maxArray = Options.MaxArrayLength;
        _maxInline = Options.MaxInlineLength;
        _maxFrame = Options.MaxFrameLength;
    }

    private enum NumberStatus
    {
        Ok,
        NeedMoreData,
        Invalid,
    }

    private enum LineStatus
    {
        Found,
        NeedMoreData,
        TooLong,
    }

    /// <summary>Gets the limits.</summary>
    public RespCodecOptions Options { get; }

    /// <inheritdoc />
    public DecodeResult TryDecode(ref ReadOnlySequence<byte> input, out RespFrame frame)
    {
        ReadOnlySpan<byte> first = input.FirstSpan;
        if (!first.IsEmpty && first[0] == (byte)'*' && TryDecodeArrayInSpan(first, out int consumed, out int count, out int nameOffset, out int nameLength))
        {
            frame = RespFrame.FromMultiBulk(input.Slice(0, consumed), count, nameOffset, nameLength);
            input = input.Slice(consumed);
            return DecodeResult.Decoded;
        }

        frame = default;
        var reader = new SequenceReader<byte>(input);
        if (!reader.TryPeek(out byte type))
        {
            return DecodeResult.NeedMoreData;
        }

        DecodeResult result = type switch
        {
            (byte)'*' => DecodeArray(ref reader, input, out frame),
            (byte)'$' => DecodeBulk(ref reader, input, out frame),
            (byte)'+' => DecodeLine(ref reader, RespKind.SimpleString, out frame),
            (byte)'-' => DecodeLine(ref reader, RespKind.Error, out frame),
            (byte)':' => DecodeInteger(ref reader, out frame),
            _ => DecodeInline(ref reader, out frame),
        };

        if (result.Status == DecodeStatus.Frame)
        {
            input = input.Slice(reader.Position);
        }

        return result;
    }

    /// <inheritdoc />
    public void Encode(in RespFrame frame, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        switch (frame.Kind)
        {
            case RespKind.SimpleString:
            case RespKind.Error:
                byte prefix = frame.Kind == RespKind.Error ? (byte)'-' : (byte)'+';
                if (frame.Text is { } text)
                {
                    RespWriter.WriteLine(output, prefix, text);
                }
                else
                {
                    RespWriter.WriteLine(output, prefix, frame.Bytes);
                }

                break;
            case RespKind.Integer:
                RespWriter.WriteHeader(output, (byte)':', frame.Integer);
                break;
            case RespKind.BulkString:
                RespWriter.WriteBulk(output, frame.Bytes);
                break;
            case RespKind.NullBulkString:
                output.Write("$-1\r\n"u8);
                break;
            case RespKind.NullArray:
                output.Write("*-1\r\n"u8);
                break;
            case RespKind.Array when frame.Elements is { } elements:
                RespWriter.WriteHeader(output, (byte)'*', elements.Length);
                foreach (RespFrame element in elements)
                {
                    Encode(element, output);
                }

                break;
            case RespKind.Array:
                // A decoded or Command-built array is its own encoding.
                RespWriter.WriteRaw(output, frame.Bytes);
                break;
            case RespKind.Inline:
                RespWriter.WriteRaw(output, frame.Bytes);
                output.Write("\r\n"u8);
                break;
            default:
                throw new InvalidOperationException("A default RespFrame cannot be encoded.");
        }
    }

    /// <inheritdoc />
    public FrameEofKind ClassifyEof(in ReadOnlySequence<byte> remaining)
    {
        if (remaining.IsEmpty)
        {
            return FrameEofKind.Clean;
        }

        new SequenceReader<byte>(remaining).TryPeek(out byte type);
        return type is (byte)'*' or (byte)'$' && remaining.PositionOf((byte)'\n') is null
            ? FrameEofKind.MidHeader
            : FrameEofKind.MidFrame;
    }

    /// <summary>
    /// Reads a small non-negative header number (at most 9 digits) and its CRLF from a span.
    /// Anything else, including running out of bytes, returns <see langword="false"/>.
    /// </summary>
    private static bool TryReadSmallNumber(ReadOnlySpan<byte> span, ref int position, out int value)
    {
        value = 0;
        int i = position;
        int digits = 0;
        while ((uint)i < (uint)span.Length)
        {
            uint digit = (uint)(span[i] - '0');
            if (digit > 9)
            {
                break;
            }

            // At most 9 digits, and no leading zero (Redis refuses "$03").
            if (++digits > 9 || (digits == 2 && value == 0))
            {
                return false;
            }

            value = (value * 10) + (int)digit;
            i++;
        }

        if (digits == 0 || i + 1 >= span.Length || span[i] != (byte)'\r' || span[i + 1] != (byte)'\n')
        {
            return false;
        }

        position = i + 2;
        return true;
    }

    /// <summary>
    /// Reads the number and CRLF of a header, after its type byte, as strictly as Redis: an optional
    /// '-', digits without a leading zero, no "-0". At most 21 bytes are examined.
    /// </summary>
    /// <summary>
    /// Reads the number of a header line; <see langword="null"/> when it was read, otherwise the
    /// result to return: more data needed, or malformed with <paramref name="invalid"/>.
    /// </summary>
    private static DecodeResult? ReadHeaderNumber(ref SequenceReader<byte> reader, string invalid, out long value) =>
        ReadNumber(ref reader, out value) switch
        {
            NumberStatus.NeedMoreData => DecodeResult.NeedMoreData,
            NumberStatus.Invalid => DecodeResult.Malformed(DecodeResult.CannotResynchronize, invalid),
            _ => null,
        };

    private static NumberStatus ReadNumber(ref SequenceReader<byte> reader, out long value)
    {
        value = 0;
        ulong magnitude = 0;
        bool negative = false;
        int digits = 0;
        while (true)
        {
            if (!reader.TryRead(out byte b))
            {
                return NumberStatus.NeedMoreData;
            }

            if (b == (byte)'\r')
            {
                break;
            }

            if (b == (byte)'-' && digits == 0 && !negative)
            {
                negative = true;
                continue;
            }

            uint digit = (uint)(b - '0');
            if (digit > 9 || digits == 19 || (digits == 1 && magnitude == 0))
            {
                // Not a digit, too long, or a leading zero: Redis (string2ll) refuses "03" too.
                return NumberStatus.Invalid;
            }

            magnitude = (magnitude * 10) + digit;
            digits++;
        }

        if (!reader.TryRead(out byte lf))
        {
            return NumberStatus.NeedMoreData;
        }

        if (lf != (byte)'\n' || digits == 0 || (negative && magnitude == 0) || magnitude > (negative ? (ulong)long.MaxValue + 1 : long.MaxValue))
        {
            return NumberStatus.Invalid;
        }

        value = negative ? (long)(0 - magnitude) : (long)magnitude;
        return NumberStatus.Ok;
    }

    private static byte LastByte(in ReadOnlySequence<byte> bytes)
    {
        Span<byte> last = stackalloc byte[1];
        bytes.Slice(bytes.Length - 1).CopyTo(last);
        return last[0];
    }

    private static string Printable(byte b) => b is >= 0x20 and < 0x7f ? ((char)b).ToString() : $"\\x{b:x2}";

    /// <summary>
    /// The hot path: a whole, valid command within the first buffer segment, parsed on a span.
    /// Anything else (incomplete, empty, invalid, over a limit) returns <see langword="false"/> and is
    /// left to the general path, which gives the authoritative answer.
    /// </summary>
    private bool TryDecodeArrayInSpan(ReadOnlySpan<byte> span, out int consumed, out int count, out int nameOffset, out int nameLength)
    {
        consumed = 0;
        count = 0;
        nameOffset = 0;
        nameLength = 0;
        int position = 1;
        if (!TryReadSmallNumber(span, ref position, out int elements) || elements == 0 || elements > _maxArray)
        {
            return false;
        }

        for (int i = 0; i < elements; i++)
        {
            if ((uint)position >= (uint)span.Length || span[position] != (byte)'$')
            {
                return false;
            }

            position++;
            if (!TryReadSmallNumber(span, ref position, out int length) || length > _maxBulk || length > span.Length - position - 2)
            {
                return false;
            }

            if (i == 0)
            {
                nameOffset = position;
                nameLength = length;
            }

            position += length;
            if (span[position] != (byte)'\r' || span[position + 1] != (byte)'\n')
            {
                return false;
            }

            position += 2;
        }

        if (position > _maxFrame)
        {
            return false;
        }

        consumed = position;
        count = elements;
        return true;
    }

    private DecodeResult DecodeArray(ref SequenceReader<byte> reader, in ReadOnlySequence<byte> input, out RespFrame frame)
    {
        frame = default;
        reader.Advance(1);
        if (ReadHeaderNumber(ref reader, "Protocol error: invalid multibulk length", out long count) is { } incomplete)
        {
            return incomplete;
        }

        if (count < 0)
        {
            if (count != -1)
            {
                return DecodeResult.Malformed(DecodeResult.CannotResynchronize, "Protocol error: invalid multibulk length");
            }

            frame = RespFrame.NullArray;
            return DecodeResult.Decoded;
        }

        if (count > _maxArray)
        {
            return DecodeResult.Oversized(DecodeResult.CannotResynchronize, $"Protocol error: an array of {count} elements is longer than {nameof(RespCodecOptions)}.{nameof(RespCodecOptions.MaxArrayLength)} ({_maxArray})");
        }

        int nameOffset = 0;
        int nameLength = 0;
        for (long i = 0; i < count; i++)
        {
            if (!reader.TryRead(out byte prefix))
            {
                return DecodeResult.NeedMoreData;
            }

            if (prefix != (byte)'$')
            {
                return DecodeResult.Malformed(DecodeResult.CannotResynchronize, $"Protocol error: expected '$', got '{Printable(prefix)}'");
            }

            if (ReadHeaderNumber(ref reader, "Protocol error: invalid bulk length", out long length) is { } elementIncomplete)
            {
                return elementIncomplete;
            }

            if (CheckBulkLength(length, reader.Consumed) is { } error)
            {
                return error;
            }

            if (i == 0)
            {
                nameOffset = (int)reader.Consumed;
                nameLength = (int)length;
            }

            if (reader.Remaining < length + 2)
            {
                return DecodeResult.NeedMoreData;
            }

            reader.Advance(length);
            if (!reader.IsNext("\r\n"u8, advancePast: true))
            {
                return DecodeResult.Malformed(DecodeResult.CannotResynchronize, $"Protocol error: a bulk string of {length} bytes is not followed by CRLF");
            }
        }

        frame = RespFrame.FromMultiBulk(input.Slice(0, reader.Position), (int)count, nameOffset, nameLength);
        return DecodeResult.Decoded;
    }

    private DecodeResult DecodeBulk(ref SequenceReader<byte> reader, in ReadOnlySequence<byte> input, out RespFrame frame)
    {
        frame = default;
        reader.Advance(1);
        if (ReadHeaderNumber(ref reader, "Protocol error: invalid bulk length", out long length) is { } incomplete)
        {
            return incomplete;
        }

        if (length == -1)
        {
            frame = RespFrame.NullBulkString;
            return DecodeResult.Decoded;
        }

        if (CheckBulkLength(length, reader.Consumed) is { } error)
        {
            return error;
        }

        if (reader.Remaining < length + 2)
        {
            return DecodeResult.NeedMoreData;
        }

        ReadOnlySequence<byte> payload = input.Slice(reader.Position, length);
        reader.Advance(length);
        if (!reader.IsNext("\r\n"u8, advancePast: true))
        {
            return DecodeResult.Malformed(DecodeResult.CannotResynchronize, $"Protocol error: a bulk string of {length} bytes is not followed by CRLF");
        }

        frame = RespFrame.BulkString(payload);
        return DecodeResult.Decoded;
    }

    private DecodeResult? CheckBulkLength(long length, long headerEnd)
    {
        if (length < 0)
        {
            return DecodeResult.Malformed(DecodeResult.CannotResynchronize, "Protocol error: invalid bulk length");
        }

        if (length > _maxBulk)
        {
            return DecodeResult.Oversized(DecodeResult.CannotResynchronize, $"Protocol error: a bulk string of {length} bytes is longer than {nameof(RespCodecOptions)}.{nameof(RespCodecOptions.MaxBulkLength)} ({_maxBulk})");
        }

        if (headerEnd + length + 2 > _maxFrame)
        {
            return DecodeResult.Oversized(DecodeResult.CannotResynchronize, $"Protocol error: a command of more than {headerEnd + length + 1} bytes is longer than {nameof(RespCodecOptions)}.{nameof(RespCodecOptions.MaxFrameLength)} ({_maxFrame})");
        }

        return null;
    }

    private DecodeResult DecodeLine(ref SequenceReader<byte> reader, RespKind kind, out RespFrame frame)
    {
        frame = default;
        reader.Advance(1);
        switch (FindLine(reader.UnreadSequence, out ReadOnlySequence<byte> line, out long consumed, out bool crlf))
        {
            case LineStatus.NeedMoreData:
                return DecodeResult.NeedMoreData;
            case LineStatus.TooLong:
                return DecodeResult.Oversized(DecodeResult.CannotResynchronize, $"Protocol error: a {kind} line is longer than {nameof(RespCodecOptions)}.{nameof(RespCodecOptions.MaxInlineLength)} ({_maxInline})");
        }

        if (!crlf)
        {
            return DecodeResult.Malformed(DecodeResult.CannotResynchronize, $"Protocol error: a {kind} line must end with CRLF");
        }

        reader.Advance(consumed);
        frame = RespFrame.FromLine(kind, line);
        return DecodeResult.Decoded;
    }

    private static DecodeResult DecodeInteger(ref SequenceReader<byte> reader, out RespFrame frame)
    {
        frame = default;
        reader.Advance(1);
        if (ReadHeaderNumber(ref reader, "Protocol error: invalid integer", out long value) is { } incomplete)
        {
            return incomplete;
        }

        frame = RespFrame.FromInteger(value);
        return DecodeResult.Decoded;
    }

    private DecodeResult DecodeInline(ref SequenceReader<byte> reader, out RespFrame frame)
    {
        frame = default;
        switch (FindLine(reader.UnreadSequence, out ReadOnlySequence<byte> line, out long consumed, out _))
        {
            case LineStatus.NeedMoreData:
                return DecodeResult.NeedMoreData;
            case LineStatus.TooLong:
                return DecodeResult.Oversized(DecodeResult.CannotResynchronize, $"Protocol error: too big inline request (no line ending within {nameof(RespCodecOptions)}.{nameof(RespCodecOptions.MaxInlineLength)}, {_maxInline} bytes)");
        }

        reader.Advance(consumed);
        InlineWords.Scan(line, out int count, out int nameOffset, out int nameLength);
        frame = RespFrame.FromInline(line, count, nameOffset, nameLength);
        return DecodeResult.Decoded;
    }

    /// <summary>
    /// Finds a line ending (LF, optionally preceded by CR) within <see cref="RespCodecOptions.MaxInlineLength"/>
    /// bytes of content, without searching further than that.
    /// </summary>
    private LineStatus FindLine(in ReadOnlySequence<byte> rest, out ReadOnlySequence<byte> line, out long consumed, out bool crlf)
    {
        line = default;
        consumed = 0;
        crlf = false;
        long window = Math.Min(rest.Length, (long)_maxInline + 2);
        SequencePosition? lf = rest.Slice(0, window).PositionOf((byte)'\n');
        if (lf is not { } end)
        {
            return rest.Length >= window && window == (long)_maxInline + 2 ? LineStatus.TooLong : LineStatus.NeedMoreData;
        }

        line = rest.Slice(0, end);
        consumed = line.Length + 1;
        if (!line.IsEmpty && LastByte(line) == (byte)'\r')
        {
            line = line.Slice(0, line.Length - 1);
            crlf = true;
        }

        return line.Length > _maxInline ? LineStatus.TooLong : LineStatus.Found;
    }
}
