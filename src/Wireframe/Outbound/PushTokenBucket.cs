using System.Threading.RateLimiting;

namespace Wireframe.Outbound;

/// <summary>
/// One connection's push token bucket. It refills only when <see cref="TryReplenish"/> is called
/// (by the application's shared <see cref="RateLimitTicker"/>), by exactly one period's permits, so
/// the rate follows the application's <see cref="TimeProvider"/> rather than the wall clock, and
/// waiters are woken by the refill itself, oldest first.
/// </summary>
/// <remarks>
/// The BCL's <see cref="TokenBucketRateLimiter"/> is not used because, even with automatic
/// replenishment off, it sizes a refill by the wall-clock time elapsed since the previous one, so a
/// manual clock (tests) or a late tick under load would hand out the wrong number of permits.
/// </remarks>
internal sealed class PushTokenBucket(PushRateLimit limit) : ReplenishingRateLimiter
{
    private static readonly RateLimitLease Granted = new PushLease(acquired: true);
    private static readonly RateLimitLease Refused = new PushLease(acquired: false);

    private readonly Lock _lock = new();
    private readonly Queue<Waiter> _waiters = new();
    private int _tokens = limit.Burst;
    private long _granted;
    private long _refused;
    private bool _disposed;

    /// <inheritdoc />
    public override TimeSpan ReplenishmentPeriod => limit.Period;

    /// <inheritdoc />
    public override bool IsAutoReplenishing => false;

    /// <inheritdoc />
    public override TimeSpan? IdleDuration => null;

    /// <inheritdoc />
    public override RateLimiterStatistics? GetStatistics()
    {
        lock (_lock)
        {
            return new RateLimiterStatistics
            {
                CurrentAvailablePermits = _tokens,
                CurrentQueuedCount = _waiters.Count,
                TotalSuccessfulLeases = _granted,
                TotalFailedLeases = _refused,
            };
        }
    }

    /// <summary>Adds one period's permits (up to the burst) and hands them to waiters, oldest first.</summary>
    public override bool TryReplenish()
    {
        lock (_lock)
        {
            if (_disposed)
            {
                return false;
            }

            _tokens = Math.Min(limit.Burst, _tokens + limit.PermitsPerPeriod);
            while (_waiters.TryPeek(out Waiter? waiter) && _tokens >= waiter.Permits)
            {
                _waiters.Dequeue();

                // Continuations run asynchronously, so completing under the lock runs no caller code here.
                // A waiter that was cancelled meanwhile keeps its permits in the bucket.
                if (waiter.Grant())
                {
                    _tokens -= waiter.Permits;
                    _granted++;
                }
            }

            DropCancelledHead();
        }

        return true;
    }

    /// <inheritdoc />
    protected override RateLimitLease AttemptAcquireCore(int permitCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(permitCount);
        lock (_lock)
        {
            // Queued waiters come first: a caller that does not wait must not overtake one that does.
            DropCancelledHead();
            if (!_disposed && _waiters.Count == 0 && _tokens >= permitCount)
            {
                _tokens -= permitCount;
                _granted++;
                return Granted;
            }

            _refused++;
            return Refused;
        }
    }

    /// <inheritdoc />
    protected override ValueTask<RateLimitLease> AcquireAsyncCore(int permitCount, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(permitCount);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(permitCount, limit.Burst);
        Waiter waiter;
        lock (_lock)
        {
            if (_disposed)
            {
                _refused++;
                return new ValueTask<RateLimitLease>(Refused);
            }

            DropCancelledHead();
            if (_waiters.Count == 0 && _tokens >= permitCount)
            {
                _tokens -= permitCount;
                _granted++;
                return new ValueTask<RateLimitLease>(Granted);
            }

            cancellationToken.ThrowIfCancellationRequested();
            waiter = new Waiter(permitCount);
            _waiters.Enqueue(waiter);
        }

        return waiter.WaitAsync(cancellationToken);
    }

    /// <summary>Forgets waiters at the head of the queue that were cancelled, so they hold nobody up. Called with the lock held.</summary>
    private void DropCancelledHead()
    {
        while (_waiters.TryPeek(out Waiter? waiter) && waiter.Task.IsCompleted)
        {
            _waiters.Dequeue();
        }
    }

    /// <summary>Refuses every waiter: the connection is closed.</summary>
    protected override void Dispose(bool disposing)
    {
        Waiter[] waiting;
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            waiting = [.. _waiters];
            _waiters.Clear();
        }

        foreach (Waiter waiter in waiting)
        {
            waiter.Refuse();
        }

        base.Dispose(disposing);
    }

    private sealed class Waiter(int permits) : TaskCompletionSource<RateLimitLease>(TaskCreationOptions.RunContinuationsAsynchronously)
    {
        private CancellationTokenRegistration _registration;

        public int Permits => permits;

        public async ValueTask<RateLimitLease> WaitAsync(CancellationToken cancellationToken)
        {
            if (cancellationToken.CanBeCanceled)
            {
                _registration = cancellationToken.Register(static (state, token) => ((Waiter)state!).TrySetCanceled(token), this);
            }

            try
            {
                return await Task.ConfigureAwait(false);
            }
            finally
            {
                await _registration.DisposeAsync().ConfigureAwait(false);
            }
        }

        public bool Grant() => TrySetResult(Granted);

        public void Refuse() => TrySetResult(Refused);
    }

    private sealed class PushLease(bool acquired) : RateLimitLease
    {
        public override bool IsAcquired => acquired;

        public override IEnumerable<string> MetadataNames => [];

        public override bool TryGetMetadata(string metadataName, out object? metadata)
        {
            metadata = null;
            return false;
        }
    }
}
