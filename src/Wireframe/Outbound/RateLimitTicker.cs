using System.Collections.Concurrent;
using System.Threading.RateLimiting;

namespace Wireframe.Outbound;

/// <summary>
/// Refills every connection's push bucket from one timer per application, instead of one timer per
/// connection. Buckets are plain <see cref="TokenBucketRateLimiter"/>s with automatic replenishment
/// off, so their queued waiters are woken by the refill itself, never by polling.
/// </summary>
internal sealed class RateLimitTicker(PushRateLimit limit, TimeProvider time)
{
    private readonly ConcurrentDictionary<TokenBucketRateLimiter, byte> _buckets = new();
    private readonly Lock _timerLock = new();
    private ITimer? _timer;

    public TokenBucketRateLimiter CreateBucket()
    {
        var bucket = new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
        {
            TokenLimit = limit.Burst,
            TokensPerPeriod = limit.PermitsPerPeriod,
            ReplenishmentPeriod = limit.Period,
            AutoReplenishment = false,
            QueueLimit = int.MaxValue,
            QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
        });
        _buckets.TryAdd(bucket, 0);
        EnsureTimer();
        return bucket;
    }

    /// <summary>Stops refilling a closed connection's bucket and fails its waiters.</summary>
    public void Release(TokenBucketRateLimiter bucket)
    {
        _buckets.TryRemove(bucket, out _);
        bucket.Dispose();
    }

    private void EnsureTimer()
    {
        if (Volatile.Read(ref _timer) is not null)
        {
            return;
        }

        lock (_timerLock)
        {
            _timer ??= time.CreateTimer(static state => ((RateLimitTicker)state!).Refill(), this, limit.Period, limit.Period);
        }
    }

    private void Refill()
    {
        foreach (KeyValuePair<TokenBucketRateLimiter, byte> bucket in _buckets)
        {
            bucket.Key.TryReplenish();
        }
    }
}
