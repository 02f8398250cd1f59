namespace Wireframe.Outbound;

/// <summary>
/// Decides when a repeated warning is worth another line: after at least <c>everyN</c> occurrences
/// since the last line and at least <c>interval</c> after it. The line reports how many occurrences
/// it stands for, so nothing is hidden, only summarised.
/// </summary>
internal sealed class LogThrottle(int everyN, TimeSpan interval, TimeProvider time)
{
    private const long Never = long.MinValue;
    private long _sinceLastLine;
    private long _lastLineTimestamp = Never;

    /// <summary>Counts one occurrence; returns <see langword="true"/> with the number to report when a line is due.</summary>
    public bool Occurred(out long count)
    {
        count = 0;
        if (Interlocked.Increment(ref _sinceLastLine) < everyN)
        {
            return false;
        }

        long now = time.GetTimestamp();
        long last = Volatile.Read(ref _lastLineTimestamp);
        if (last != Never && time.GetElapsedTime(last, now) < interval)
        {
            return false;
        }

        // Several threads may find a line due at once; one writes it.
        if (Interlocked.CompareExchange(ref _lastLineTimestamp, now, last) != last)
        {
            return false;
        }

        count = Interlocked.Exchange(ref _sinceLastLine, 0);
        return count > 0;
    }
}
