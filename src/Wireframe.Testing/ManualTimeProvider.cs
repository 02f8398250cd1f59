namespace Wireframe.Testing;

/// <summary>
/// A clock that moves only when a test calls <see cref="Advance"/>; timers due by then fire, in
/// order, on the calling thread. Lets tests drive every Wireframe timeout without sleeping.
/// </summary>
public sealed class ManualTimeProvider : TimeProvider
{
    private readonly object _sync = new();
    private readonly List<ManualTimer> _timers = [];
    private DateTimeOffset _now;
    private long _timestamp;

    /// <summary>Initializes a new instance of the <see cref="ManualTimeProvider"/> class.</summary>
    /// <param name="start">The initial time; defaults to 2000-01-01 UTC.</param>
    public ManualTimeProvider(DateTimeOffset? start = null)
    {
        _now = start ?? new DateTimeOffset(2000, 1, 1, 0, 0, 0, TimeSpan.Zero);
    }

    /// <inheritdoc />
    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    /// <summary>Gets the number of timers that are scheduled and not yet fired or disposed.</summary>
    public int PendingTimers
    {
        get
        {
            lock (_sync)
            {
                return _timers.Count(t => t.DueAt is not null);
            }
        }
    }

    /// <inheritdoc />
    public override DateTimeOffset GetUtcNow()
    {
        lock (_sync)
        {
            return _now;
        }
    }

    /// <inheritdoc />
    public override long GetTimestamp()
    {
        lock (_sync)
        {
            return _timestamp;
        }
    }

    /// <summary>Moves time forward and fires every timer that falls due, earliest first.</summary>
    /// <param name="delta">How far to move; must not be negative.</param>
    public void Advance(TimeSpan delta)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(delta, TimeSpan.Zero);
        long target;
        lock (_sync)
        {
            target = _timestamp + delta.Ticks;
        }

        while (true)
        {
            ManualTimer? next;
            lock (_sync)
            {
                next = _timers.Where(t => t.DueAt is long due && due <= target).OrderBy(t => t.DueAt).FirstOrDefault();
                long moveTo = next?.DueAt ?? target;
                _now += TimeSpan.FromTicks(moveTo - _timestamp);
                _timestamp = moveTo;
                next?.Fired(_timestamp);
            }

            if (next is null)
            {
                return;
            }

            next.Invoke();
        }
    }

    /// <inheritdoc />
    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        ArgumentNullException.ThrowIfNull(callback);
        var timer = new ManualTimer(this, callback, state);
        lock (_sync)
        {
            _timers.Add(timer);
            timer.Schedule(_timestamp, dueTime, period);
        }

        return timer;
    }

    private sealed class ManualTimer(ManualTimeProvider owner, TimerCallback callback, object? state) : ITimer
    {
        private long _period = -1;

        public long? DueAt { get; private set; }

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            lock (owner._sync)
            {
                if (!owner._timers.Contains(this))
                {
                    return false;
                }

                Schedule(owner._timestamp, dueTime, period);
                return true;
            }
        }

        public void Dispose()
        {
            lock (owner._sync)
            {
                DueAt = null;
                owner._timers.Remove(this);
            }
        }

        public ValueTask DisposeAsync()
        {
            Dispose();
            return default;
        }

        internal void Schedule(long now, TimeSpan dueTime, TimeSpan period)
        {
            DueAt = dueTime == Timeout.InfiniteTimeSpan ? null : now + Math.Max(0, dueTime.Ticks);
            _period = period == Timeout.InfiniteTimeSpan || period <= TimeSpan.Zero ? -1 : period.Ticks;
        }

        internal void Fired(long now) => DueAt = _period > 0 ? now + _period : null;

        internal void Invoke() => callback(state);
    }
}
