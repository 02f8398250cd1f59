namespace Wireframe.Outbound;

/// <summary>
/// A per-connection token bucket for pushes: <paramref name="PermitsPerPeriod"/> permits are added
/// every <paramref name="Period"/>, up to <paramref name="Burst"/>. One application-wide timer refills
/// every connection's bucket, so a million connections do not mean a million timers.
/// </summary>
/// <param name="PermitsPerPeriod">Permits added per period.</param>
/// <param name="Period">The refill interval.</param>
/// <param name="Burst">The bucket's size: the most pushes that can go at once after a quiet spell.</param>
public sealed record PushRateLimit(int PermitsPerPeriod, TimeSpan Period, int Burst)
{
    /// <summary>
    /// Creates a limit of <paramref name="perSecond"/> pushes per second with bursts of up to
    /// <paramref name="burst"/>, refilled about ten times a second (less often for rates below ten).
    /// </summary>
    /// <param name="perSecond">Sustained pushes per second; positive.</param>
    /// <param name="burst">The bucket's size; defaults to one second's worth.</param>
    /// <returns>The limit.</returns>
    public static PushRateLimit PerSecond(int perSecond, int? burst = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(perSecond);
        int permits = (perSecond + 9) / 10;
        return new(permits, TimeSpan.FromTicks(TimeSpan.TicksPerSecond * permits / perSecond), burst ?? perSecond);
    }

    internal void Validate(string name)
    {
        if (PermitsPerPeriod <= 0 || Burst <= 0 || Period <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(name, this, $"{nameof(WireframeOptions)}.{name} needs positive permits, burst and period.");
        }
    }
}
