using System.Threading.Tasks.Sources;

namespace Wireframe.Client;

/// <summary>
/// Wakes the client's writer loop, allocation-free: one waiter (the loop), reusable after each wake.
/// </summary>
/// <remarks>
/// The loop's continuation goes to the thread pool's global queue, not the waking thread's local one:
/// the callers that a read of responses released are queued locally, so the writer runs after all of
/// them have encoded their next requests and sends them in one write. An async state machine's
/// continuation is queued as it is, with no work item allocated for it.
/// </remarks>
internal sealed class WriterWakeUp : IValueTaskSource
{
    private static readonly Action<object?> Woken = static _ => { };

    private Action<object?>? _continuation;
    private object? _state;

    /// <summary>Waits for the next <see cref="Wake"/> (completes at once if it came already).</summary>
    public ValueTask WaitAsync() => new(this, 0);

    /// <summary>Wakes the waiter, or the next wait.</summary>
    public void Wake()
    {
        Action<object?>? continuation = Interlocked.Exchange(ref _continuation, Woken);
        if (continuation is not null && !ReferenceEquals(continuation, Woken))
        {
            ThreadPool.UnsafeQueueUserWorkItem(continuation, _state, preferLocal: false);
        }
    }

    ValueTaskSourceStatus IValueTaskSource.GetStatus(short token) =>
        ReferenceEquals(Volatile.Read(ref _continuation), Woken) ? ValueTaskSourceStatus.Succeeded : ValueTaskSourceStatus.Pending;

    void IValueTaskSource.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags)
    {
        // The only waiter is the client's own loop, which has no context to return to.
        _state = state;
        if (Interlocked.CompareExchange(ref _continuation, continuation, null) is not null)
        {
            ThreadPool.UnsafeQueueUserWorkItem(continuation, state, preferLocal: false);
        }
    }

    void IValueTaskSource.GetResult(short token)
    {
        // Ready for the next wait; a Wake from now on is for it.
        _state = null;
        Volatile.Write(ref _continuation, null);
    }
}
