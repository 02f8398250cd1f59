using System.Buffers;

namespace Wireframe.Fragmentation;

/// <summary>
/// Cuts a logical message's payload into fragments of at most a cap each, in order, as slices of
/// the payload (no copy). An empty payload is one empty final fragment, so every message has a
/// final fragment. Allocation-free: a struct enumerator over the payload.
/// </summary>
internal struct FragmentSlicer
{
    private readonly ReadOnlySequence<byte> _payload;
    private readonly int _cap;
    private SequencePosition _position;
    private long _remaining;
    private uint _index;
    private bool _done;

    /// <summary>Initializes a new instance of the <see cref="FragmentSlicer"/> struct.</summary>
    /// <param name="payload">The whole payload.</param>
    /// <param name="cap">The most bytes of payload one fragment carries; positive.</param>
    public FragmentSlicer(ReadOnlySequence<byte> payload, int cap)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(cap);
        _payload = payload;
        _cap = cap;
        _position = payload.Start;
        _remaining = payload.Length;
        _index = 0;
        _done = false;
        Index = 0;
        IsLast = false;
        Chunk = default;
    }

    /// <summary>Gets the current fragment's index in its series.</summary>
    public uint Index { get; private set; }

    /// <summary>Gets a value indicating whether the current fragment is the last.</summary>
    public bool IsLast { get; private set; }

    /// <summary>Gets the current fragment's payload, a slice of the message's.</summary>
    public ReadOnlySequence<byte> Chunk { get; private set; }

    /// <summary>Moves to the next fragment.</summary>
    /// <returns><see langword="false"/> after the last one.</returns>
    public bool MoveNext()
    {
        if (_done)
        {
            return false;
        }

        long take = Math.Min(_cap, _remaining);
        Chunk = _payload.Slice(_position, take);
        _position = Chunk.End;
        _remaining -= take;
        Index = _index;
        IsLast = _remaining == 0;
        _done = IsLast;
        if (!IsLast && _index == uint.MaxValue)
        {
            throw new InvalidOperationException($"The message needs more than {uint.MaxValue} fragments at {_cap} bytes each.");
        }

        _index++;
        return true;
    }
}
