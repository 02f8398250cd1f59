using System.Buffers;
using System.Text;
using Wireframe.Routing;

namespace Wireframe.Examples.Resp;

/// <summary>
/// The command handlers. Each takes the command frame and returns the reply frame; arity is checked
/// before they run (see <see cref="RespApp"/>), so they may read the arguments their arity promises.
/// </summary>
public sealed class RespCommands
{
    // CONFIG GET answers these, truthfully: nothing is ever persisted.
    private static readonly (string Name, string Value)[] ConfigValues = [("save", ""), ("appendonly", "no")];

    private readonly RespStore _store;
    private readonly RespCommandTable _table;

    /// <summary>Initializes a new instance of the <see cref="RespCommands"/> class.</summary>
    /// <param name="store">The key space.</param>
    /// <param name="table">The command table.</param>
    public RespCommands(RespStore store, RespCommandTable table)
    {
        _store = store ?? throw new ArgumentNullException(nameof(store));
        _table = table ?? throw new ArgumentNullException(nameof(table));
    }

    public RespFrame Ping(RespFrame command, RequestContext context) => command.Count switch
    {
        1 => RespFrame.Pong,
        2 => RespFrame.BulkString(command.GetArgument(1)),
        _ => Info(RespCommandIds.Ping).WrongArity,
    };

    public static RespFrame Echo(RespFrame command, RequestContext context) => RespFrame.BulkString(command.GetArgument(1));

    public RespFrame Get(RespFrame command, RequestContext context) =>
        _store.TryGet(Contiguous(command.GetArgument(1)), out byte[]? value) ? RespFrame.BulkString(value) : RespFrame.NullBulkString;

    /// <summary><c>SET key value [NX | XX] [GET]</c>; expiry options answer an error, since keys never expire here.</summary>
    public RespFrame Set(RespFrame command, RequestContext context)
    {
        ReadOnlySequence<byte> key = command.GetArgument(1);
        byte[] value = command.GetArgument(2).ToArray();
        if (command.Count == 3)
        {
            _store.Set(Contiguous(key), value);
            return RespFrame.Ok;
        }

        SetCondition condition = SetCondition.Always;
        bool get = false;
        foreach (ReadOnlySequence<byte> option in command.Arguments.Skip(3))
        {
            ReadOnlySpan<byte> name = option.Length <= 8 ? Contiguous(option) : default;
            if (Ascii.EqualsIgnoreCase(name, "NX"u8) && condition != SetCondition.IfExists)
            {
                condition = SetCondition.IfAbsent;
            }
            else if (Ascii.EqualsIgnoreCase(name, "XX"u8) && condition != SetCondition.IfAbsent)
            {
                condition = SetCondition.IfExists;
            }
            else if (Ascii.EqualsIgnoreCase(name, "GET"u8))
            {
                get = true;
            }
            else if (Ascii.EqualsIgnoreCase(name, "EX"u8) || Ascii.EqualsIgnoreCase(name, "PX"u8) || Ascii.EqualsIgnoreCase(name, "EXAT"u8)
                || Ascii.EqualsIgnoreCase(name, "PXAT"u8) || Ascii.EqualsIgnoreCase(name, "KEEPTTL"u8))
            {
                return RespErrors.ExpiryNotSupported;
            }
            else
            {
                return RespErrors.Syntax;
            }
        }

        bool written = _store.Set(Contiguous(key), value, condition, out byte[]? previous);
        if (get)
        {
            return previous is null ? RespFrame.NullBulkString : RespFrame.BulkString(previous);
        }

        return written ? RespFrame.Ok : RespFrame.NullBulkString;
    }

    public RespFrame Del(RespFrame command, RequestContext context)
    {
        long removed = 0;
        foreach (ReadOnlySequence<byte> key in command.Arguments.Skip(1))
        {
            removed += _store.Remove(Contiguous(key)) ? 1 : 0;
        }

        return RespFrame.FromInteger(removed);
    }

    public RespFrame Exists(RespFrame command, RequestContext context)
    {
        // As in Redis, a key named twice counts twice.
        long found = 0;
        foreach (ReadOnlySequence<byte> key in command.Arguments.Skip(1))
        {
            found += _store.ContainsKey(Contiguous(key)) ? 1 : 0;
        }

        return RespFrame.FromInteger(found);
    }

    public RespFrame Incr(RespFrame command, RequestContext context) =>
        _store.TryIncrement(Contiguous(command.GetArgument(1)), 1, out long value) switch
        {
            IncrementResult.Done => RespFrame.FromInteger(value),
            IncrementResult.Overflow => RespErrors.Overflow,
            _ => RespErrors.NotAnInteger,
        };

    /// <summary>
    /// <c>COMMAND</c>, <c>COMMAND DOCS</c> and <c>COMMAND INFO</c> answer an empty array (redis-cli asks
    /// for docs at start-up, and copes without them); <c>COMMAND COUNT</c> and <c>COMMAND LIST</c> describe the table.
    /// </summary>
    public RespFrame Command(RespFrame command, RequestContext context)
    {
        if (command.Count == 1)
        {
            return RespFrame.EmptyArray;
        }

        ReadOnlySpan<byte> subcommand = SubcommandName(command);
        if (Ascii.EqualsIgnoreCase(subcommand, "DOCS"u8) || Ascii.EqualsIgnoreCase(subcommand, "INFO"u8))
        {
            return RespFrame.EmptyArray;
        }

        if (Ascii.EqualsIgnoreCase(subcommand, "COUNT"u8) && command.Count == 2)
        {
            return RespFrame.FromInteger(_table.Commands.Count);
        }

        if (Ascii.EqualsIgnoreCase(subcommand, "LIST"u8) && command.Count == 2)
        {
            return RespFrame.Array(_table.Commands.Select(c => RespFrame.BulkString(c.Name)).ToArray());
        }

        return RespErrors.UnknownSubcommand(command, Info(RespCommandIds.Command));
    }

    /// <summary>
    /// <c>CONFIG GET pattern...</c> answers name/value pairs for the parameters a benchmark asks
    /// about (<c>save</c>, <c>appendonly</c>), and an empty array when nothing matches.
    /// </summary>
    public RespFrame Config(RespFrame command, RequestContext context)
    {
        if (!Ascii.EqualsIgnoreCase(SubcommandName(command), "GET"u8))
        {
            return RespErrors.UnknownSubcommand(command, Info(RespCommandIds.Config));
        }

        if (command.Count < 3)
        {
            return RespErrors.WrongArity("config|get");
        }

        var matches = new List<RespFrame>();
        foreach ((string name, string value) in ConfigValues)
        {
            foreach (ReadOnlySequence<byte> pattern in command.Arguments.Skip(2))
            {
                if (Glob.IsMatch(Contiguous(pattern), Encoding.ASCII.GetBytes(name)))
                {
                    matches.Add(RespFrame.BulkString(name));
                    matches.Add(RespFrame.BulkString(value));
                    break;
                }
            }
        }

        return matches.Count == 0 ? RespFrame.EmptyArray : RespFrame.Array([.. matches]);
    }

    /// <summary><c>QUIT</c>: says OK, then the connection closes once the reply is flushed.</summary>
    public static RespFrame Quit(RespFrame command, RequestContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        context.Connection.Close();
        return RespFrame.Ok;
    }

    /// <summary>Answers a frame no route handles: an unknown command, or a value that is not a command.</summary>
    /// <param name="frame">The frame.</param>
    /// <returns>The error.</returns>
    public static RespFrame Unknown(in RespFrame frame) =>
        frame.IsCommand ? RespErrors.UnknownCommand(frame) : RespErrors.NotACommand(frame.Kind);

    /// <summary>Gets a key or option as one span: a view when it sits in one buffer segment, a copy in the rare case it does not.</summary>
    private static ReadOnlySpan<byte> Contiguous(ReadOnlySequence<byte> bytes) => bytes.IsSingleSegment ? bytes.FirstSpan : bytes.ToArray();

    private static ReadOnlySpan<byte> SubcommandName(RespFrame command)
    {
        ReadOnlySequence<byte> name = command.GetArgument(1);
        return name.Length <= 16 ? Contiguous(name) : default;
    }

    private RespCommandInfo Info(uint id) => _table.Get(id)!;
}
