using System.Buffers;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;

namespace Wireframe.Examples.Resp;

/// <summary>
/// One RESP2 value, inbound or outbound: a command a client sent, or a reply the server sends. The
/// codec's frame type is used in both directions, so one discriminated struct represents both.
/// </summary>
/// <remarks>
/// A decoded frame slices the connection's input instead of copying it: a command is its own raw
/// bytes plus the argument count and where the command name is, and arguments are found by walking
/// those bytes when a handler asks. So a decoded frame, and every argument taken from it, is valid
/// only until its handler completes; copy what must outlive the request (the store copies values).
/// </remarks>
[StructLayout(LayoutKind.Auto)]
public readonly struct RespFrame
{
    private static readonly byte[] EmptyArrayBytes = "*0\r\n"u8.ToArray();

    private readonly ReadOnlySequence<byte> _bytes;

    // A string for SimpleString/Error replies built from text (encoded straight into the output),
    // or the RespFrame[] of an array reply built from elements.
    private readonly object? _object;
    private readonly long _integer;
    private readonly int _count;
    private readonly int _nameOffset;
    private readonly int _nameLength;

    private RespFrame(RespKind kind, ReadOnlySequence<byte> bytes = default, object? value = null, long integer = 0, int count = 0, int nameOffset = 0, int nameLength = 0)
    {
        Kind = kind;
        _bytes = bytes;
        _object = value;
        _integer = integer;
        _count = count;
        _nameOffset = nameOffset;
        _nameLength = nameLength;
    }

    /// <summary>Gets <c>+OK</c>.</summary>
    public static RespFrame Ok { get; } = SimpleString(new ReadOnlySequence<byte>("OK"u8.ToArray()));

    /// <summary>Gets <c>+PONG</c>.</summary>
    public static RespFrame Pong { get; } = SimpleString(new ReadOnlySequence<byte>("PONG"u8.ToArray()));

    /// <summary>Gets the null bulk string, <c>$-1</c>.</summary>
    public static RespFrame NullBulkString { get; } = new(RespKind.NullBulkString);

    /// <summary>Gets the null array, <c>*-1</c>.</summary>
    public static RespFrame NullArray { get; } = new(RespKind.NullArray);

    /// <summary>Gets the empty array, <c>*0</c>.</summary>
    public static RespFrame EmptyArray { get; } = new(RespKind.Array, new ReadOnlySequence<byte>(EmptyArrayBytes));

    /// <summary>Gets the shape of the frame.</summary>
    public RespKind Kind { get; }

    /// <summary>Gets the number of elements of an array, or of words of an inline command.</summary>
    public int Count => Kind is RespKind.Array or RespKind.Inline ? _count : 0;

    /// <summary>
    /// Gets a value indicating whether the frame is a command: an array of bulk strings or an inline
    /// command, with at least a name.
    /// </summary>
    public bool IsCommand => Kind is RespKind.Array or RespKind.Inline && _count > 0;

    /// <summary>Gets the value of an <see cref="RespKind.Integer"/> frame.</summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1720", Justification = "RESP's own name for the type.")]
    public long Integer => Kind == RespKind.Integer ? _integer : throw new InvalidOperationException($"A {Kind} frame has no integer value.");

    /// <summary>
    /// Gets the bytes of a simple string, error or bulk string; the raw encoding of a decoded or
    /// <see cref="Command(byte[][])"/>-built array; the line of an inline command.
    /// </summary>
    public ReadOnlySequence<byte> Bytes => _object is string text ? new ReadOnlySequence<byte>(Encoding.UTF8.GetBytes(text)) : _bytes;

    /// <summary>Gets the command name (argument 0) of a command.</summary>
    public ReadOnlySequence<byte> Name => GetArgument(0);

    /// <summary>Gets the arguments of a command, name included, for <c>foreach</c>.</summary>
    public RespArguments Arguments => new(this);

    internal bool IsRawArray => Kind == RespKind.Array && _object is null;

    internal string? Text => _object as string;

    internal RespFrame[]? Elements => _object as RespFrame[];

    /// <summary>Creates a simple string reply; CR and LF are sent as spaces.</summary>
    /// <param name="text">The text.</param>
    /// <returns>The frame.</returns>
    public static RespFrame SimpleString(string text) => new(RespKind.SimpleString, value: text ?? throw new ArgumentNullException(nameof(text)));

    /// <summary>Creates a simple string reply from bytes, which must stay valid until the frame is encoded.</summary>
    /// <param name="bytes">The bytes.</param>
    /// <returns>The frame.</returns>
    public static RespFrame SimpleString(ReadOnlySequence<byte> bytes) => new(RespKind.SimpleString, bytes);

    /// <summary>Creates an error reply such as <c>ERR syntax error</c> (no leading '-'); CR and LF are sent as spaces.</summary>
    /// <param name="message">The message, starting with an error code such as ERR.</param>
    /// <returns>The frame.</returns>
    public static RespFrame Error(string message) => new(RespKind.Error, value: message ?? throw new ArgumentNullException(nameof(message)));

    /// <summary>Creates an error reply from bytes, which must stay valid until the frame is encoded.</summary>
    /// <param name="message">The message bytes.</param>
    /// <returns>The frame.</returns>
    public static RespFrame Error(ReadOnlySequence<byte> message) => new(RespKind.Error, message);

    /// <summary>Creates an integer reply.</summary>
    /// <param name="value">The value.</param>
    /// <returns>The frame.</returns>
    public static RespFrame FromInteger(long value) => new(RespKind.Integer, integer: value);

    /// <summary>Creates a bulk string over bytes that must stay valid until the frame is encoded.</summary>
    /// <param name="bytes">The bytes.</param>
    /// <returns>The frame.</returns>
    public static RespFrame BulkString(ReadOnlySequence<byte> bytes) => new(RespKind.BulkString, bytes);

    /// <summary>Creates a bulk string over an array (not copied).</summary>
    /// <param name="bytes">The bytes.</param>
    /// <returns>The frame.</returns>
    public static RespFrame BulkString(byte[] bytes) => new(RespKind.BulkString, new ReadOnlySequence<byte>(bytes ?? throw new ArgumentNullException(nameof(bytes))));

    /// <summary>Creates a bulk string holding UTF-8 text.</summary>
    /// <param name="text">The text.</param>
    /// <returns>The frame.</returns>
    public static RespFrame BulkString(string text) => BulkString(Encoding.UTF8.GetBytes(text ?? throw new ArgumentNullException(nameof(text))));

    /// <summary>Creates an array reply of any frames.</summary>
    /// <param name="elements">The elements.</param>
    /// <returns>The frame.</returns>
    public static RespFrame Array(params RespFrame[] elements)
    {
        ArgumentNullException.ThrowIfNull(elements);
        return new RespFrame(RespKind.Array, value: elements, count: elements.Length);
    }

    /// <summary>Creates a command, an array of bulk strings, as a client sends it.</summary>
    /// <param name="arguments">The command name and its arguments, as UTF-8 text.</param>
    /// <returns>The frame.</returns>
    public static RespFrame Command(params string[] arguments)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        return Command(System.Array.ConvertAll(arguments, Encoding.UTF8.GetBytes));
    }

    /// <summary>Creates a command, an array of bulk strings, as a client sends it.</summary>
    /// <param name="arguments">The command name and its arguments.</param>
    /// <returns>The frame.</returns>
    public static RespFrame Command(params byte[][] arguments)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        var buffer = new ArrayBufferWriter<byte>();
        RespWriter.WriteHeader(buffer, (byte)'*', arguments.Length);
        int nameOffset = 0;
        for (int i = 0; i < arguments.Length; i++)
        {
            RespWriter.WriteHeader(buffer, (byte)'$', arguments[i].Length);
            if (i == 0)
            {
                nameOffset = buffer.WrittenCount;
            }

            buffer.Write(arguments[i]);
            buffer.Write("\r\n"u8);
        }

        int nameLength = arguments.Length > 0 ? arguments[0].Length : 0;
        return FromMultiBulk(new ReadOnlySequence<byte>(buffer.WrittenMemory.ToArray()), arguments.Length, nameOffset, nameLength);
    }

    /// <summary>Creates an inline command, a line of words separated by spaces, as typed in telnet.</summary>
    /// <param name="line">The line, without its line ending.</param>
    /// <returns>The frame.</returns>
    public static RespFrame Inline(string line)
    {
        ArgumentNullException.ThrowIfNull(line);
        var bytes = new ReadOnlySequence<byte>(Encoding.UTF8.GetBytes(line));
        if (bytes.FirstSpan.IndexOfAny((byte)'\r', (byte)'\n') >= 0)
        {
            throw new ArgumentException("An inline command is one line: it cannot contain CR or LF.", nameof(line));
        }

        InlineWords.Scan(bytes, out int count, out int nameOffset, out int nameLength);
        return FromInline(bytes, count, nameOffset, nameLength);
    }

    /// <summary>Gets argument <paramref name="index"/> of a command (0 is the name).</summary>
    /// <param name="index">The argument's index.</param>
    /// <returns>The argument's bytes, sliced from the frame.</returns>
    public ReadOnlySequence<byte> GetArgument(int index)
    {
        if ((uint)index >= (uint)Count)
        {
            throw new ArgumentOutOfRangeException(nameof(index), index, $"The frame has {Count} arguments.");
        }

        if (_object is not null)
        {
            long element = index;
            return NextArgument(ref element);
        }

        if (index == 0)
        {
            return _bytes.Slice(_nameOffset, _nameLength);
        }

        // Start right after the name, which the decoder already located.
        long cursor = AfterName;
        for (int i = 1; i < index; i++)
        {
            NextArgument(ref cursor);
        }

        return NextArgument(ref cursor);
    }

    /// <summary>Gets element <paramref name="index"/> of an array.</summary>
    /// <param name="index">The element's index.</param>
    /// <returns>The element; elements of a decoded array are bulk strings sliced from it.</returns>
    public RespFrame GetElement(int index)
    {
        if (Kind != RespKind.Array)
        {
            throw new InvalidOperationException($"A {Kind} frame has no elements.");
        }

        return Elements is { } elements ? elements[index] : BulkString(GetArgument(index));
    }

    /// <summary>Gets the UTF-8 text of a simple string, error or bulk string.</summary>
    /// <returns>The text.</returns>
    public string GetString() => Kind switch
    {
        RespKind.SimpleString or RespKind.Error when Text is { } text => text,
        RespKind.SimpleString or RespKind.Error or RespKind.BulkString or RespKind.Inline => Encoding.UTF8.GetString(_bytes),
        _ => throw new InvalidOperationException($"A {Kind} frame has no text."),
    };

    /// <summary>Describes the frame the way redis-cli shows a reply.</summary>
    /// <returns>The description.</returns>
    public override string ToString()
    {
        RespFrame self = this;
        return Kind switch
        {
            RespKind.SimpleString => GetString(),
            RespKind.Error => "(error) " + GetString(),
            RespKind.Integer => "(integer) " + _integer.ToString(CultureInfo.InvariantCulture),
            RespKind.BulkString => Quote(_bytes),
            RespKind.NullBulkString or RespKind.NullArray => "(nil)",
            RespKind.Array => "[" + string.Join(", ", Enumerable.Range(0, _count).Select(i => self.GetElement(i).ToString())) + "]",
            RespKind.Inline => "(inline) " + GetString(),
            _ => "(none)",
        };
    }

    /// <summary>Gets the command name as a span when it sits in one buffer segment, the usual case.</summary>
    internal bool TryGetNameSpan(out ReadOnlySpan<byte> name)
    {
        if (_object is null && _count > 0 && _bytes.IsSingleSegment)
        {
            name = _bytes.FirstSpan.Slice(_nameOffset, _nameLength);
            return true;
        }

        name = default;
        return false;
    }

    internal static RespFrame FromMultiBulk(ReadOnlySequence<byte> raw, int count, int nameOffset, int nameLength) =>
        new(RespKind.Array, raw, count: count, nameOffset: nameOffset, nameLength: nameLength);

    internal static RespFrame FromInline(ReadOnlySequence<byte> line, int count, int nameOffset, int nameLength) =>
        new(RespKind.Inline, line, count: count, nameOffset: nameOffset, nameLength: nameLength);

    internal static RespFrame FromLine(RespKind kind, ReadOnlySequence<byte> bytes) => new(kind, bytes);

    /// <summary>Gets the cursor of the argument after the name, for <see cref="NextArgument"/>.</summary>
    internal long AfterName => Kind == RespKind.Inline ? _nameOffset + _nameLength : _nameOffset + _nameLength + 2;

    /// <summary>Gets the cursor of the first argument (the name), for <see cref="NextArgument"/>.</summary>
    internal long FirstArgument => _object is not null ? 0
        : Kind == RespKind.Inline ? _nameOffset
        : _nameOffset - RespWriter.HeaderLength(_nameLength);

    /// <summary>
    /// Reads the argument at <paramref name="cursor"/> and moves the cursor past it. A cursor is a
    /// byte offset into a decoded array or inline line, or an element index of a built array.
    /// </summary>
    internal ReadOnlySequence<byte> NextArgument(ref long cursor)
    {
        if (Elements is { } elements)
        {
            RespFrame element = elements[(int)cursor++];
            return element.Kind is RespKind.BulkString or RespKind.SimpleString
                ? element.Bytes
                : throw new InvalidOperationException($"Element {cursor - 1} is a {element.Kind}, not a bulk string.");
        }

        return Kind == RespKind.Inline ? InlineWords.Next(_bytes, ref cursor) : NextBulk(ref cursor);
    }

    private static string Quote(ReadOnlySequence<byte> bytes)
    {
        var text = new StringBuilder("\"");
        foreach (ReadOnlyMemory<byte> segment in bytes)
        {
            foreach (byte b in segment.Span)
            {
                text.Append(b switch
                {
                    (byte)'"' => "\\\"",
                    (byte)'\\' => "\\\\",
                    (byte)'\n' => "\\n",
                    (byte)'\r' => "\\r",
                    (byte)'\t' => "\\t",
                    >= 0x20 and < 0x7f => ((char)b).ToString(),
                    _ => "\\x" + b.ToString("x2", CultureInfo.InvariantCulture),
                });
            }
        }

        return text.Append('"').ToString();
    }

    /// <summary>Reads <c>$len\r\npayload\r\n</c> at the cursor of a decoded, hence valid, array.</summary>
    private ReadOnlySequence<byte> NextBulk(ref long cursor)
    {
        ReadOnlySequence<byte> raw = _bytes;
        long length = 0;
        long payload;
        if (raw.IsSingleSegment)
        {
            ReadOnlySpan<byte> span = raw.FirstSpan;
            int i = (int)cursor + 1;
            byte b;
            while ((b = span[i++]) != (byte)'\r')
            {
                length = (length * 10) + (b - '0');
            }

            payload = i + 1;
        }
        else
        {
            var reader = new SequenceReader<byte>(raw);
            reader.Advance(cursor + 1);
            while (reader.TryRead(out byte b) && b != (byte)'\r')
            {
                length = (length * 10) + (b - '0');
            }

            reader.Advance(1);
            payload = reader.Consumed;
        }

        cursor = payload + length + 2;
        return raw.Slice(payload, length);
    }
}
