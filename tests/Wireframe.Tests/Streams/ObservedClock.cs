using Wireframe.Testing;

namespace Wireframe.Tests.Streams;

/// <summary>
/// A <see cref="ManualTimeProvider"/> that also says when a timer is armed (created or changed with a
/// finite due time), so a test can advance the clock exactly once the server is waiting on it,
/// instead of polling or sleeping. Register it as the application's <see cref="TimeProvider"/>.
/// </summary>
internal sealed class ObservedClock : TimeProvider
{
    private readonly ManualTimeProvider _inner = new();
    private readonly Lock _lock = new();
    private TaskCompletionSource<TimeSpan> _armed = NewArmed();

    public override long TimestampFrequency => _inner.TimestampFrequency;

    /// <summary>Gets a task that completes (with the due time) the next time a timer is armed; <see cref="ResetArmed"/> waits for a later one.</summary>
    public Task<TimeSpan> Armed
    {
        get
        {
            lock (_lock)
            {
                return _armed.Task;
            }
        }
    }

    public int PendingTimers => _inner.PendingTimers;

    public void ResetArmed()
    {
        lock (_lock)
        {
            _armed = NewArmed();
        }
    }

    public void Advance(TimeSpan delta) => _inner.Advance(delta);

    public override DateTimeOffset GetUtcNow() => _inner.GetUtcNow();

    public override long GetTimestamp() => _inner.GetTimestamp();

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = new Timer(this, _inner.CreateTimer(callback, state, dueTime, period));
        OnArmed(dueTime);
        return timer;
    }

    private static TaskCompletionSource<TimeSpan> NewArmed() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private void OnArmed(TimeSpan dueTime)
    {
        if (dueTime == Timeout.InfiniteTimeSpan)
        {
            return;
        }

        lock (_lock)
        {
            _armed.TrySetResult(dueTime);
        }
    }

    private sealed class Timer(ObservedClock owner, ITimer inner) : ITimer
    {
        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            bool changed = inner.Change(dueTime, period);
            owner.OnArmed(dueTime);
            return changed;
        }

        public void Dispose() => inner.Dispose();

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }
}
