using System.Buffers;
using Wireframe.Connections;

namespace Wireframe.Fragmentation;

/// <summary>
/// Puts fragmented messages back together for one connection: several messages at once, one per
/// <see cref="FragmentHeader.MessageKey"/>, each a strict series 0, 1, 2, … ending at the fragment
/// marked last. Every limit in <see cref="ReassemblyLimits"/> is enforced as fragments arrive, and
/// any refusal frees the partial message it concerns, so memory held never exceeds
/// <see cref="ReassemblyLimits.MaxBufferedBytes"/>. Not thread-safe: one connection's read loop owns it.
/// </summary>
/// <remarks>
/// Rules: a fragment for a key not in reassembly must have index 0 (else <see cref="ReassemblyError.MissingStart"/>,
/// which is also what a fragment after a message's final one gets); an index below the next expected
/// one is a <see cref="ReassemblyError.Duplicate"/> (a header without an index, <see cref="FragmentHeader.Sequential"/>, is always the next one), above it <see cref="ReassemblyError.OutOfOrder"/>;
/// both end the message, because a series with a hole or a repeat cannot be trusted. A zero-length
/// fragment, final or not, is valid.
/// </remarks>
internal sealed class Reassembler : IDisposable
{
    private readonly ReassemblyLimits _limits;
    private readonly TimeProvider _time;
    private readonly Dictionary<ulong, Partial> _partials = [];
    private readonly long _softLimit;
    private long _bufferedBytes;

    public Reassembler(ReassemblyLimits limits, TimeProvider time)
    {
        _limits = limits;
        _time = time;
        _softLimit = limits.MaxBufferedBytes - (limits.MaxBufferedBytes / 5);
    }

    /// <summary>Gets how many messages are in reassembly.</summary>
    public int InProgress => _partials.Count;

    /// <summary>
    /// Moves a partial message's series to <paramref name="nextIndex"/>, as if that many fragments
    /// had arrived: the last indexes of a series are otherwise out of a test's reach (2^32 fragments).
    /// </summary>
    internal void SkipAheadForTests(ulong messageKey, uint nextIndex) => _partials[messageKey].NextIndex = nextIndex;

    /// <summary>Gets whether a message is in reassembly.</summary>
    public bool IsInProgress(ulong messageKey) => _partials.ContainsKey(messageKey);

    /// <summary>Gets the bytes held for partial messages.</summary>
    public long BufferedBytes => _bufferedBytes;

    /// <summary>Gets a value indicating whether partial messages hold 80 % or more of the buffer budget (time to stop reading until some complete or expire).</summary>
    public bool IsOverSoftLimit => _bufferedBytes >= _softLimit;

    /// <summary>Takes one fragment.</summary>
    /// <param name="header">The fragment's header.</param>
    /// <param name="chunk">The fragment's payload; copied if the message is not complete with it.</param>
    /// <param name="message">With <see cref="ReassemblyOutcome.Completed"/>, the whole message (the caller disposes it).</param>
    /// <param name="error">With <see cref="ReassemblyOutcome.Refused"/>, why.</param>
    /// <returns>What became of the fragment.</returns>
    public ReassemblyOutcome Accept(in FragmentHeader header, ReadOnlySequence<byte> chunk, out ReassembledMessage message, out ReassemblyError error)
    {
        message = default;
        error = default;
        if (!_partials.TryGetValue(header.MessageKey, out Partial? partial))
        {
            return Start(header, chunk, out message, out error);
        }

        if (CheckSeries(header, partial.NextIndex, _time.GetElapsedTime(partial.Started) >= _limits.Timeout) is { } broken)
        {
            return Refuse(header.MessageKey, broken, out error);
        }

        if (partial.Buffer.WrittenCount + chunk.Length > _limits.MaxMessageSize)
        {
            return Refuse(header.MessageKey, ReassemblyError.MessageTooLarge, out error);
        }

        if (_bufferedBytes + chunk.Length > _limits.MaxBufferedBytes)
        {
            return Refuse(header.MessageKey, ReassemblyError.BufferBudgetExceeded, out error);
        }

        partial.Buffer.Write(chunk);
        partial.NextIndex++;
        _bufferedBytes += chunk.Length;
        if (!header.IsLast)
        {
            return ReassemblyOutcome.Buffered;
        }

        _partials.Remove(header.MessageKey);
        _bufferedBytes -= partial.Buffer.WrittenCount;
        message = new ReassembledMessage(header.MessageKey, new ReadOnlySequence<byte>(partial.Buffer.WrittenMemory), partial.Buffer);
        return ReassemblyOutcome.Completed;
    }

    /// <summary>Gets when the next partial message expires, or <see langword="null"/> when none is in reassembly.</summary>
    /// <returns>The time left until the oldest partial message's <see cref="ReassemblyLimits.Timeout"/> runs out (zero if it has).</returns>
    public TimeSpan? NextExpiry()
    {
        TimeSpan? least = null;
        foreach (Partial partial in _partials.Values)
        {
            TimeSpan left = _limits.Timeout - _time.GetElapsedTime(partial.Started);
            if (least is null || left < least)
            {
                least = left;
            }
        }

        return least < TimeSpan.Zero ? TimeSpan.Zero : least;
    }

    /// <summary>
    /// The rules a fragment continuing a message (or a streamed body) obeys: the message has not
    /// expired, and the fragment carries the next index (always so without one on the wire), which
    /// is not the largest unless the fragment is the last.
    /// </summary>
    /// <returns>Why the fragment breaks its series, or <see langword="null"/> when it continues it.</returns>
    internal static ReassemblyError? CheckSeries(in FragmentHeader header, uint nextIndex, bool expired)
    {
        if (expired)
        {
            return ReassemblyError.Expired;
        }

        uint index = header.HasIndex ? header.Index : nextIndex;
        if (index != nextIndex)
        {
            return index < nextIndex ? ReassemblyError.Duplicate : ReassemblyError.OutOfOrder;
        }

        return !header.IsLast && index == uint.MaxValue ? ReassemblyError.IndexOverflow : null;
    }

    /// <summary>Frees every partial message whose <see cref="ReassemblyLimits.Timeout"/> has run out.</summary>
    /// <returns>How many were evicted.</returns>
    public int PurgeExpired()
    {
        int evicted = 0;
        foreach (KeyValuePair<ulong, Partial> entry in _partials)
        {
            // Removing the current entry while enumerating is allowed for Dictionary.
            if (_time.GetElapsedTime(entry.Value.Started) >= _limits.Timeout)
            {
                Drop(entry.Key);
                evicted++;
            }
        }

        return evicted;
    }

    /// <summary>Frees every partial message (the connection is closing).</summary>
    public void Dispose()
    {
        foreach (Partial partial in _partials.Values)
        {
            partial.Buffer.Dispose();
        }

        _partials.Clear();
        _bufferedBytes = 0;
    }


    private ReassemblyOutcome Start(in FragmentHeader header, ReadOnlySequence<byte> chunk, out ReassembledMessage message, out ReassemblyError error)
    {
        message = default;
        error = default;
        if (header.HasIndex && header.Index != 0)
        {
            error = ReassemblyError.MissingStart;
            return ReassemblyOutcome.Refused;
        }

        if (chunk.Length > _limits.MaxMessageSize)
        {
            error = ReassemblyError.MessageTooLarge;
            return ReassemblyOutcome.Refused;
        }

        if (header.IsLast)
        {
            // A message in one fragment is complete as it stands: no copy.
            message = new ReassembledMessage(header.MessageKey, chunk, owner: null);
            return ReassemblyOutcome.Completed;
        }

        if (_partials.Count >= _limits.MaxConcurrentMessages)
        {
            error = ReassemblyError.TooManyMessages;
            return ReassemblyOutcome.Refused;
        }

        if (_bufferedBytes + chunk.Length > _limits.MaxBufferedBytes)
        {
            error = ReassemblyError.BufferBudgetExceeded;
            return ReassemblyOutcome.Refused;
        }

        var buffer = new PooledBufferWriter((int)Math.Clamp(chunk.Length * 2, 256, 1024 * 1024));
        buffer.Write(chunk);
        _partials.Add(header.MessageKey, new Partial(buffer, _time.GetTimestamp()));
        _bufferedBytes += chunk.Length;
        return ReassemblyOutcome.Buffered;
    }

    private ReassemblyOutcome Refuse(ulong key, ReassemblyError reason, out ReassemblyError error)
    {
        Drop(key);
        error = reason;
        return ReassemblyOutcome.Refused;
    }

    private void Drop(ulong key)
    {
        if (_partials.Remove(key, out Partial? partial))
        {
            _bufferedBytes -= partial.Buffer.WrittenCount;
            partial.Buffer.Dispose();
        }
    }

    private sealed class Partial(PooledBufferWriter buffer, long started)
    {
        public PooledBufferWriter Buffer { get; } = buffer;

        public long Started { get; } = started;

        public uint NextIndex { get; set; } = 1;
    }
}
