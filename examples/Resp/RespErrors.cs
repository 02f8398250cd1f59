using System.Buffers;

namespace Wireframe.Examples.Resp;

/// <summary>Error replies, worded exactly as Redis 7 words them so clients and scripts see no difference.</summary>
public static class RespErrors
{
    // Redis quotes at most 128 bytes of a name and of the arguments together.
    private const int QuoteLimit = 128;

    public static RespFrame NotAnInteger { get; } = RespFrame.Error("ERR value is not an integer or out of range");

    public static RespFrame Overflow { get; } = RespFrame.Error("ERR increment or decrement would overflow");

    public static RespFrame Syntax { get; } = RespFrame.Error("ERR syntax error");

    public static RespFrame ExpiryNotSupported { get; } = RespFrame.Error("ERR SET with EX, PX, EXAT, PXAT or KEEPTTL is not supported: keys never expire on this server");

    /// <summary>
    /// <c>ERR unknown command 'name', with args beginning with: 'a' 'b' </c>, byte for byte as Redis
    /// builds it (C string formatting: each quoted piece stops at a NUL byte).
    /// </summary>
    /// <param name="command">The unknown command.</param>
    /// <returns>The error.</returns>
    public static RespFrame UnknownCommand(in RespFrame command)
    {
        var text = new ArrayBufferWriter<byte>();
        text.Write("ERR unknown command '"u8);
        WriteQuoted(text, command.Name, QuoteLimit);
        text.Write("', with args beginning with: "u8);
        int quoted = 0;
        foreach (ReadOnlySequence<byte> argument in command.Arguments.Skip(1))
        {
            if (quoted >= QuoteLimit)
            {
                break;
            }

            text.Write("'"u8);
            quoted += WriteQuoted(text, argument, QuoteLimit - quoted) + 3;
            text.Write("' "u8);
        }

        return RespFrame.Error(new ReadOnlySequence<byte>(text.WrittenMemory.ToArray()));
    }

    /// <summary><c>ERR unknown subcommand 'x'. Try CONFIG HELP.</c></summary>
    /// <param name="command">The command with the subcommand.</param>
    /// <param name="info">The command.</param>
    /// <returns>The error.</returns>
    public static RespFrame UnknownSubcommand(in RespFrame command, RespCommandInfo info)
    {
        ArgumentNullException.ThrowIfNull(info);
        var text = new ArrayBufferWriter<byte>();
        text.Write("ERR unknown subcommand '"u8);
        WriteQuoted(text, command.GetArgument(1), QuoteLimit);
        text.Write("'. Try "u8);
        text.Write(System.Text.Encoding.ASCII.GetBytes(info.Name.ToUpperInvariant()));
        text.Write(" HELP."u8);
        return RespFrame.Error(new ReadOnlySequence<byte>(text.WrittenMemory.ToArray()));
    }

    /// <summary><c>ERR wrong number of arguments for 'config|get' command</c>.</summary>
    /// <param name="name">The full command name.</param>
    /// <returns>The error.</returns>
    public static RespFrame WrongArity(string name) => RespFrame.Error($"ERR wrong number of arguments for '{name}' command");

    /// <summary>The answer to a frame that is a value, not a command (Redis would read it as an inline command).</summary>
    /// <param name="kind">What was sent.</param>
    /// <returns>The error.</returns>
    public static RespFrame NotACommand(RespKind kind) =>
        RespFrame.Error($"ERR Protocol error: expected a command (an array of bulk strings or an inline command), got a {kind}");

    private static int WriteQuoted(ArrayBufferWriter<byte> output, in ReadOnlySequence<byte> bytes, int limit)
    {
        ReadOnlySequence<byte> piece = bytes.Length > limit ? bytes.Slice(0, limit) : bytes;
        if (piece.PositionOf((byte)0) is { } nul)
        {
            piece = piece.Slice(0, nul);
        }

        foreach (ReadOnlyMemory<byte> segment in piece)
        {
            output.Write(segment.Span);
        }

        return (int)piece.Length;
    }
}
