namespace Wireframe.Client;

/// <summary>Timeouts, limits and socket settings of a <see cref="WireframeClient{TFrame}"/>.</summary>
public sealed class WireframeClientOptions
{
    /// <summary>Gets or sets how long connecting may take. Default 10 seconds.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Gets or sets how long writing the preamble and reading the server's reply may take. Default 10 seconds.</summary>
    public TimeSpan PreambleTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Gets or sets how long a call waits for its response before it fails with <see cref="TimeoutException"/>; <see cref="Timeout.InfiniteTimeSpan"/> for no limit. Default 30 seconds.</summary>
    public TimeSpan CallTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Gets or sets how long <c>DisposeAsync</c> waits for the server to take the requests already accepted before it closes anyway. Default 10 seconds.</summary>
    public TimeSpan CloseTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Gets or sets how responses are matched to calls. Default <see cref="CorrelationMode.Correlated"/>.</summary>
    public CorrelationMode CorrelationMode { get; set; } = CorrelationMode.Correlated;

    /// <summary>
    /// Gets or sets how many server pushes wait for the subscriber; when it is full the oldest is
    /// dropped (counted in <see cref="WireframeClient{TFrame}.DroppedPushes"/>), so a slow subscriber
    /// never stalls the responses to calls. Default 1,024.
    /// </summary>
    public int PushBufferCapacity { get; set; } = 1024;

    /// <summary>Gets or sets whether Nagle's algorithm is off (TCP_NODELAY). Default <see langword="true"/>.</summary>
    public bool NoDelay { get; set; } = true;

    /// <summary>Gets or sets whether TCP keep-alive probes are on. Default <see langword="false"/>.</summary>
    public bool KeepAlive { get; set; }

    /// <summary>
    /// Gets or sets whether a caller resumes from its call on the client's receive loop, as soon as
    /// its response is read, instead of on the thread pool. The requests that resumed callers make
    /// then leave together in one write from the receive loop, with no thread hop per call, which is
    /// much faster for many callers on one connection. The price: until a resumed caller next awaits,
    /// no other response on the connection is read, so code after <c>await CallAsync</c> must not
    /// block or run long (and must never wait synchronously for another call, which would deadlock).
    /// Default <see langword="false"/>.
    /// </summary>
    public bool CompleteCallsInline { get; set; }

    /// <summary>Gets or sets the socket's receive buffer size in bytes (SO_RCVBUF); <see langword="null"/> (the default) leaves the system's.</summary>
    public int? ReceiveBufferSize { get; set; }

    /// <summary>Gets or sets the socket's send buffer size in bytes (SO_SNDBUF); <see langword="null"/> (the default) leaves the system's.</summary>
    public int? SendBufferSize { get; set; }

    /// <summary>Throws when an option is out of range, naming it.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    public void Validate()
    {
        Require(ConnectTimeout > TimeSpan.Zero, nameof(ConnectTimeout), ConnectTimeout);
        Require(PreambleTimeout > TimeSpan.Zero, nameof(PreambleTimeout), PreambleTimeout);
        Require(CallTimeout > TimeSpan.Zero || CallTimeout == Timeout.InfiniteTimeSpan, nameof(CallTimeout), CallTimeout);
        Require(CloseTimeout > TimeSpan.Zero, nameof(CloseTimeout), CloseTimeout);
        Require(PushBufferCapacity > 0, nameof(PushBufferCapacity), PushBufferCapacity);
        Require(Enum.IsDefined(CorrelationMode), nameof(CorrelationMode), CorrelationMode);
        Require(ReceiveBufferSize is null or > 0, nameof(ReceiveBufferSize), ReceiveBufferSize ?? 0);
        Require(SendBufferSize is null or > 0, nameof(SendBufferSize), SendBufferSize ?? 0);
    }

    internal WireframeClientOptions Clone() => (WireframeClientOptions)MemberwiseClone();

    private static void Require(bool condition, string name, object? value, string rule = "is out of range") =>
        OptionChecks.Require(condition, nameof(WireframeClientOptions), name, value, rule);
}
