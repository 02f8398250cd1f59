using System.Buffers;

namespace Wireframe.Examples.Resp;

/// <summary>The arguments of a command, walked in place: <c>foreach (var key in command.Arguments.Skip(1))</c>.</summary>
public readonly struct RespArguments
{
    private readonly RespFrame _frame;
    private readonly int _start;

    internal RespArguments(RespFrame frame, int start = 0)
    {
        _frame = frame;
        _start = start;
    }

    /// <summary>Gets how many arguments the enumeration yields.</summary>
    public int Count => Math.Max(0, _frame.Count - _start);

    /// <summary>Skips the first arguments (1 skips the command name).</summary>
    /// <param name="count">How many to skip.</param>
    /// <returns>The remaining arguments.</returns>
    public RespArguments Skip(int count) => new(_frame, _start + Math.Max(0, count));

    /// <summary>Gets an enumerator.</summary>
    /// <returns>The enumerator.</returns>
    public RespArgumentEnumerator GetEnumerator() => new(_frame, _start);
}
