namespace Wireframe.Connections;

/// <summary>
/// The writer's mutual exclusion: one interlocked operation to enter and one to leave when nobody
/// else wants in; contended writers wait asynchronously, first come first served.
/// </summary>
/// <remarks>
/// <see cref="_count"/> is the number of holders plus waiters. Entering increments it; whoever
/// makes it 1 holds the gate. Leaving decrements it; if anybody is still counted, one waiter is
/// handed the gate through <see cref="_handoff"/>, whose count absorbs the race between a waiter
/// counting itself and starting to wait. Waits cannot be cancelled: the holder's flush is what can
/// be cancelled (on abort), and that always ends in a release. A struct held in a field of its
/// owner, so entering and leaving touch the owner's memory rather than another object's; it must
/// never be copied.
/// </remarks>
internal struct WriterGate
{
    private int _count;
    private SemaphoreSlim? _handoff;

    /// <summary>Gets a value indicating whether anybody waits behind the holder.</summary>
    public readonly bool HasWaiters => Volatile.Read(in _count) > 1;

    /// <summary>Enters if the gate is free, without waiting.</summary>
    public bool TryEnter() => Interlocked.CompareExchange(ref _count, 1, 0) == 0;

    /// <summary>Enters, waiting for the holder and earlier waiters to leave.</summary>
    public ValueTask EnterAsync()
    {
        if (Interlocked.Increment(ref _count) == 1)
        {
            return default;
        }

        return new ValueTask(Handoff().WaitAsync());
    }

    /// <summary>Leaves; hands the gate to the next waiter, if any.</summary>
    public void Exit()
    {
        if (Interlocked.Decrement(ref _count) != 0)
        {
            Handoff().Release();
        }
    }

    private SemaphoreSlim Handoff() =>
        Volatile.Read(ref _handoff) ?? LazyInitializer.EnsureInitialized(ref _handoff, static () => new SemaphoreSlim(0, int.MaxValue));
}
