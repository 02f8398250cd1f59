using System.Numerics;

namespace Wireframe.LoadGen;

/// <summary>
/// Log-linear (HDR-style) histogram of nanosecond values: exact below 256 ns, then 128 linear
/// buckets per power of two, so any recorded value is known to within 1/128 (~0.8%).
/// Recording is a shift and an increment, which keeps it off the generator's hot-path profile.
/// </summary>
internal sealed class LatencyHistogram
{
    private const int SubBucketBits = 8;
    private const int SubBucketCount = 1 << SubBucketBits;
    private const int HalfBits = SubBucketBits - 1;

    // 2^36 ns is about 69 s: well past the 10 s ceiling a latency report needs.
    private const long HighestTrackable = (1L << 36) - 1;
    private static readonly int BucketCount = IndexOf(HighestTrackable) + 1;

    private readonly long[] _counts = new long[BucketCount];

    public long Count { get; private set; }

    /// <summary>Largest value recorded, exact rather than bucketed.</summary>
    public long MaxNanoseconds { get; private set; }

    public void Record(long nanoseconds)
    {
        if (nanoseconds < 0)
        {
            // Clock readings taken on different cores can disagree by a hair.
            nanoseconds = 0;
        }

        if (nanoseconds > MaxNanoseconds)
        {
            MaxNanoseconds = nanoseconds;
        }

        _counts[IndexOf(Math.Min(nanoseconds, HighestTrackable))]++;
        Count++;
    }

    public void Add(LatencyHistogram other)
    {
        ArgumentNullException.ThrowIfNull(other);
        for (int i = 0; i < _counts.Length; i++)
        {
            _counts[i] += other._counts[i];
        }

        Count += other.Count;
        MaxNanoseconds = Math.Max(MaxNanoseconds, other.MaxNanoseconds);
    }

    /// <summary>
    /// Value at or below which <paramref name="percentile"/> percent of samples fall, reported as the
    /// top of its bucket (never optimistic), and capped at the exact maximum.
    /// </summary>
    public long ValueAtPercentile(double percentile)
    {
        if (Count == 0)
        {
            return 0;
        }

        long rank = Math.Max(1, (long)Math.Ceiling(percentile / 100.0 * Count));
        long seen = 0;
        for (int i = 0; i < _counts.Length; i++)
        {
            seen += _counts[i];
            if (seen >= rank)
            {
                return Math.Min(HighestEquivalent(i), MaxNanoseconds);
            }
        }

        return MaxNanoseconds;
    }

    private static int IndexOf(long value)
    {
        if (value < SubBucketCount)
        {
            return (int)value;
        }

        int exponent = 63 - BitOperations.LeadingZeroCount((ulong)value);
        int shift = exponent - HalfBits;
        return (shift << HalfBits) + (int)(value >> shift);
    }

    private static long HighestEquivalent(int index)
    {
        if (index < SubBucketCount)
        {
            return index;
        }

        int shift = (index >> HalfBits) - 1;
        long subBucket = (index & ((1 << HalfBits) - 1)) + (1 << HalfBits);
        return ((subBucket + 1) << shift) - 1;
    }
}
