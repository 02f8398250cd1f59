using System.Collections.Concurrent;

namespace Wireframe.Outbound;

/// <summary>
/// Refills every connection's push bucket from one timer per application, instead of one timer per
/// connection. Each tick adds one period's permits to every bucket and wakes its queued waiters,
/// so nothing polls and the rate follows the application's <see cref="TimeProvider"/>.
/// </summary>
internal sealed class RateLimitTicker(PushRateLimit limit, TimeProvider time)
{
    private readonly ConcurrentDictionary<PushTokenBucket, byte> _buckets = new();
    private readonly Lock _timerLock = new();
    private ITimer? _timer;

    public PushTokenBucket CreateBucket()
    {
        var bucket = new PushTokenBucket(limit);
        lock (_timerLock)
        {
            _buckets.TryAdd(bucket, 0);
            _timer ??= time.CreateTimer(static state => ((RateLimitTicker)state!).Refill(), this, limit.Period, limit.Period);
        }

        return bucket;
    }

    /// <summary>Stops refilling a closed connection's bucket and fails its waiters; the timer stops with the last bucket.</summary>
    public void Release(PushTokenBucket bucket)
    {
        lock (_timerLock)
        {
            _buckets.TryRemove(bucket, out _);
            if (_buckets.IsEmpty)
            {
                // Nothing to refill: a periodic timer would keep this ticker (and the app) rooted for nothing.
                _timer?.Dispose();
                _timer = null;
            }
        }

        bucket.Dispose();
    }

    private void Refill()
    {
        foreach (KeyValuePair<PushTokenBucket, byte> bucket in _buckets)
        {
            bucket.Key.TryReplenish();
        }
    }
}
