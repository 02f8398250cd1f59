using System.Buffers;

namespace Wireframe.Examples.Resp;

/// <summary>Walks a command's arguments without allocating; each is a slice of the frame.</summary>
public struct RespArgumentEnumerator
{
    private readonly RespFrame _frame;
    private long _cursor;
    private int _index;

    internal RespArgumentEnumerator(RespFrame frame, int start)
    {
        _frame = frame;
        _index = Math.Min(start, frame.Count);
        Current = default;
        if (_index == 0 || _index == frame.Count)
        {
            _cursor = frame.FirstArgument;
            return;
        }

        if (frame.Elements is not null)
        {
            _cursor = _index;
            return;
        }

        _cursor = frame.AfterName;
        for (int i = 1; i < _index; i++)
        {
            frame.NextArgument(ref _cursor);
        }
    }

    /// <summary>Gets the current argument.</summary>
    public ReadOnlySequence<byte> Current { get; private set; }

    /// <summary>Moves to the next argument.</summary>
    /// <returns><see langword="false"/> after the last one.</returns>
    public bool MoveNext()
    {
        if (_index >= _frame.Count)
        {
            return false;
        }

        Current = _frame.NextArgument(ref _cursor);
        _index++;
        return true;
    }
}
