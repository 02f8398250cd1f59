namespace Wireframe.Client;

/// <summary>
/// How a <see cref="WireframeClientPool{TFrame}"/> spreads calls over its connections, admits them,
/// reconnects and recycles idle connections. Every delay runs on the builder's <see cref="TimeProvider"/>.
/// </summary>
public sealed class WireframeClientPoolOptions
{
    /// <summary>Gets or sets how many connections the pool keeps. Default 1 (one multiplexed, reconnecting connection).</summary>
    public int Size { get; set; } = 1;

    /// <summary>
    /// Gets or sets how many calls and streams one connection carries at once: the admission budget.
    /// A call that finds every connection at its budget waits in line (first come, first served) for
    /// a free place. Default 256.
    /// </summary>
    public int MaxInFlightPerConnection { get; set; } = 256;

    /// <summary>Gets or sets how many calls may wait in line for a connection; one more fails at once with <see cref="WireframeClientPoolFullException"/>. Default 10,000.</summary>
    public int MaxQueuedCalls { get; set; } = 10_000;

    /// <summary>Gets or sets how long a call waits in line for a connection (while all are busy, reconnecting or reopening) before it fails with <see cref="TimeoutException"/>. Default 30 seconds.</summary>
    public TimeSpan AcquireTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Gets or sets whether a lost connection is opened again, with exponential backoff and jitter, running the preamble and <c>OnConnected</c> again. Default <see langword="true"/>.</summary>
    public bool Reconnect { get; set; } = true;

    /// <summary>Gets or sets the delay before the first reconnect attempt; each failed attempt doubles it, up to <see cref="ReconnectMaxDelay"/>. Each wait is drawn between half and all of that delay (jitter), so clients that lost the same server do not come back in step. Default 100 ms.</summary>
    public TimeSpan ReconnectInitialDelay { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Gets or sets the longest delay between reconnect attempts. Default 30 seconds.</summary>
    public TimeSpan ReconnectMaxDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Gets or sets how long a connection may carry no call before the pool closes it; it is opened
    /// again when a call needs it. <see cref="Timeout.InfiniteTimeSpan"/> (the default) keeps
    /// connections open, which a protocol whose server pushes to idle clients needs.
    /// </summary>
    public TimeSpan IdleTimeout { get; set; } = Timeout.InfiniteTimeSpan;

    /// <summary>Throws when an option is out of range, naming it.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    public void Validate()
    {
        Require(Size > 0, nameof(Size), Size);
        Require(MaxInFlightPerConnection > 0, nameof(MaxInFlightPerConnection), MaxInFlightPerConnection);
        Require(MaxQueuedCalls >= 0, nameof(MaxQueuedCalls), MaxQueuedCalls);
        Require(AcquireTimeout > TimeSpan.Zero || AcquireTimeout == Timeout.InfiniteTimeSpan, nameof(AcquireTimeout), AcquireTimeout);
        Require(ReconnectInitialDelay > TimeSpan.Zero, nameof(ReconnectInitialDelay), ReconnectInitialDelay);
        Require(ReconnectMaxDelay >= ReconnectInitialDelay, nameof(ReconnectMaxDelay), ReconnectMaxDelay);
        Require(IdleTimeout > TimeSpan.Zero || IdleTimeout == Timeout.InfiniteTimeSpan, nameof(IdleTimeout), IdleTimeout);
    }

    internal WireframeClientPoolOptions Clone() => (WireframeClientPoolOptions)MemberwiseClone();

    private static void Require(bool condition, string name, object? value, string rule = "is out of range") =>
        OptionChecks.Require(condition, nameof(WireframeClientPoolOptions), name, value, rule);
}
