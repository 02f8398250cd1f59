using System.Text;

namespace Wireframe.Examples.Resp;

/// <summary>
/// Command names to message ids, matched case-insensitively on the raw bytes of the name: no string
/// is made for a command name, and unknown names cost a length check and a few comparisons.
/// </summary>
public sealed class RespCommandTable
{
    private readonly RespCommandInfo[][] _byLength;
    private readonly Dictionary<uint, RespCommandInfo> _byId;
    private readonly RespCommandInfo?[] _denseById;

    /// <summary>Initializes a new instance of the <see cref="RespCommandTable"/> class.</summary>
    /// <param name="commands">The commands.</param>
    public RespCommandTable(IEnumerable<RespCommandInfo> commands)
    {
        ArgumentNullException.ThrowIfNull(commands);
        Commands = commands.ToArray();
        MaxNameLength = Commands.Max(c => c.NameBytes.Length);
        _byLength = new RespCommandInfo[MaxNameLength + 1][];
        for (int length = 0; length <= MaxNameLength; length++)
        {
            _byLength[length] = Commands.Where(c => c.NameBytes.Length == length).ToArray();
        }

        _byId = Commands.ToDictionary(c => c.Id);
        _denseById = new RespCommandInfo?[Commands.Where(c => c.Id < 1024).Select(c => (int)c.Id + 1).DefaultIfEmpty(0).Max()];
        foreach (RespCommandInfo command in Commands.Where(c => c.Id < 1024))
        {
            _denseById[command.Id] = command;
        }
    }

    /// <summary>Gets the commands of this server.</summary>
    public static RespCommandTable Default { get; } = new(
    [
        new("ping", RespCommandIds.Ping, -1),
        new("echo", RespCommandIds.Echo, 2),
        new("get", RespCommandIds.Get, 2),
        new("set", RespCommandIds.Set, -3),
        new("del", RespCommandIds.Del, -2),
        new("incr", RespCommandIds.Incr, 2),
        new("exists", RespCommandIds.Exists, -2),
        new("command", RespCommandIds.Command, -1),
        new("config", RespCommandIds.Config, -2),
        new("quit", RespCommandIds.Quit, -1),
    ]);

    public IReadOnlyList<RespCommandInfo> Commands { get; }

    /// <summary>Gets the length of the longest name: longer names are unknown without looking.</summary>
    public int MaxNameLength { get; }

    /// <summary>Finds a command's message id by name, ignoring ASCII case.</summary>
    /// <param name="name">The name as sent.</param>
    /// <returns>The id, or <see cref="RespCommandIds.Unknown"/>.</returns>
    public uint Find(ReadOnlySpan<byte> name)
    {
        if (name.Length > MaxNameLength)
        {
            return RespCommandIds.Unknown;
        }

        foreach (RespCommandInfo command in _byLength[name.Length])
        {
            if (Ascii.EqualsIgnoreCase(name, command.NameBytes))
            {
                return command.Id;
            }
        }

        return RespCommandIds.Unknown;
    }

    /// <summary>Gets a command by message id.</summary>
    /// <param name="id">The message id.</param>
    /// <returns>The command, or <see langword="null"/> for ids that are not commands.</returns>
    public RespCommandInfo? Get(uint id) =>
        id < (uint)_denseById.Length ? _denseById[id] : _byId.GetValueOrDefault(id);
}
