using Wireframe.Framing;
using Wireframe.Outbound;
using Wireframe.Routing;

namespace Wireframe;

/// <summary>
/// Limits, timeouts and policies of a Wireframe server. Every limit a peer can push against has a
/// safe default, and every disconnect it causes is logged with the name of the option.
/// </summary>
public sealed class WireframeOptions
{
    /// <summary>Gets or sets the maximum number of open connections; more are closed on arrival, logged and counted. Default 10,000.</summary>
    public int MaxConcurrentConnections { get; set; } = 10_000;

    /// <summary>
    /// Gets or sets how many requests of one connection may be handled at once. The default, 1,
    /// handles a connection's requests one after another in arrival order and sends responses in
    /// that order. Above 1, requests run concurrently and responses leave as handlers finish, so
    /// clients must match them by correlation id.
    /// </summary>
    public int MaxConcurrentRequestsPerConnection { get; set; } = 1;

    /// <summary>Gets or sets what happens to a frame that declares a length above the codec's maximum. Default <see cref="FrameErrorAction.Disconnect"/>.</summary>
    public FrameErrorAction OversizedFrameAction { get; set; } = FrameErrorAction.Disconnect;

    /// <summary>Gets or sets what happens to a malformed frame. Default <see cref="FrameErrorAction.DropFrame"/>.</summary>
    public FrameErrorAction MalformedFrameAction { get; set; } = FrameErrorAction.DropFrame;

    /// <summary>Gets or sets how many bad frames in a row close the connection even when they are being dropped. Default 3.</summary>
    public int MaxConsecutiveFrameErrors { get; set; } = 3;

    /// <summary>Gets or sets what happens to a frame whose message id has no route. Default <see cref="UnknownMessagePolicy.Ignore"/>.</summary>
    public UnknownMessagePolicy UnknownMessagePolicy { get; set; } = UnknownMessagePolicy.Ignore;

    /// <summary>Gets or sets what an unexpected handler exception ends. Default <see cref="HandlerExceptionPolicy.CloseConnection"/>.</summary>
    public HandlerExceptionPolicy HandlerExceptionPolicy { get; set; } = HandlerExceptionPolicy.CloseConnection;

    /// <summary>Gets or sets how long a peer has to send its preamble. Default 5 seconds.</summary>
    public TimeSpan PreambleTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Gets or sets the largest preamble accepted, in bytes. Default 1 KiB.</summary>
    public int MaxPreambleLength { get; set; } = 1024;

    /// <summary>
    /// Gets or sets how long a graceful shutdown waits for each connection to finish its current
    /// request and say goodbye before aborting it. Default 10 seconds. Idle connections close at once.
    /// It also bounds any close: a connection whose last frames (queued pushes, a final flush) are
    /// still waiting for the peer this long after its read loop ended is aborted.
    /// </summary>
    public TimeSpan ShutdownDrainTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Gets or sets how many response bytes may accumulate before the writer flushes in the middle of
    /// a batch (it always flushes at the end of one). Default 64 KiB.
    /// </summary>
    public int MaxUnflushedBytes { get; set; } = 64 * 1024;

    /// <summary>
    /// Gets or sets the number of unread input bytes at which the transport stops reading from the
    /// socket (Kestrel's <c>MaxRequestBufferSize</c>); <see langword="null"/> keeps Kestrel's 1 MiB.
    /// Applied by the standalone server.
    /// </summary>
    public long? InputBufferPauseThreshold { get; set; }

    /// <summary>
    /// Gets or sets the number of unsent output bytes at which a flush waits for the peer to read
    /// (Kestrel's <c>MaxResponseBufferSize</c>); <see langword="null"/> keeps Kestrel's 64 KiB.
    /// Applied by the standalone server.
    /// </summary>
    public long? OutputBufferPauseThreshold { get; set; }

    /// <summary>Gets or sets how many high-priority pushes may wait per connection; a full queue makes <c>PushAsync</c> wait. Default 64.</summary>
    public int HighPriorityPushCapacity { get; set; } = 64;

    /// <summary>Gets or sets how many low-priority pushes may wait per connection. Default 64.</summary>
    public int LowPriorityPushCapacity { get; set; } = 64;

    /// <summary>
    /// Gets or sets the fairness budget: after this many high-priority frames in a row, a waiting
    /// low-priority push or response frame gets its turn. 0 disables fairness (all high-priority
    /// frames go first). Default 16.
    /// </summary>
    public int MaxHighPriorityBurst { get; set; } = 16;

    /// <summary>
    /// Gets or sets a time slice for the fairness budget: once high-priority frames have had the
    /// writer for this long in a row, a waiting low-priority push or response frame gets its turn.
    /// <see langword="null"/> (the default) uses only <see cref="MaxHighPriorityBurst"/>.
    /// </summary>
    public TimeSpan? HighPriorityTimeSlice { get; set; }

    /// <summary>Gets or sets the per-connection push rate limit, shared by both priorities; <see langword="null"/> (the default) for none.</summary>
    public PushRateLimit? PushRateLimit { get; set; }

    /// <summary>
    /// Gets or sets how many frames must be lost (queue and dead-letter queue both full) between two
    /// warnings about it. Default 1: every loss is logged, subject to <see cref="DeadLetterLogInterval"/>.
    /// </summary>
    public int DeadLetterLogEveryN { get; set; } = 1;

    /// <summary>Gets or sets the least time between two warnings about lost frames. Default zero (no limit).</summary>
    public TimeSpan DeadLetterLogInterval { get; set; } = TimeSpan.Zero;

    /// <summary>
    /// Gets or sets how long the writer may stay blocked on a peer that does not read before the
    /// connection is closed as a slow consumer. <see langword="null"/> (the default) never evicts;
    /// the blocked writer is then the backpressure every sender feels.
    /// </summary>
    public TimeSpan? SlowConsumerTimeout { get; set; }

    /// <summary>
    /// Gets or sets the largest logical message, in bytes, a connection accepts: a message in
    /// reassembly that would grow past it is refused (see <see cref="ReassemblyErrorAction"/>), and
    /// so is a whole message above it. Default 16 MiB. Unfragmented frames are also bounded, earlier,
    /// by the codec's maximum frame length.
    /// </summary>
    public long MaxMessageSize { get; set; } = 16L * 1024 * 1024;

    /// <summary>
    /// Gets or sets the connection's inbound memory budget, in bytes. Partial messages in reassembly
    /// may never exceed it: a fragment that would take them past it closes the connection
    /// (<see cref="Connections.DisconnectReason.MemoryBudgetExceeded"/>). Messages handed to handlers
    /// that have not finished (with <see cref="MaxConcurrentRequestsPerConnection"/> above 1) count
    /// too: at 80 % of the budget the connection stops reading from the socket until handlers release
    /// enough. Default 32 MiB; it must be at least <see cref="MaxMessageSize"/>.
    /// </summary>
    public long MaxBufferedBytesPerConnection { get; set; } = 32L * 1024 * 1024;

    /// <summary>
    /// Gets or sets how many messages may be in reassembly at once on one connection; a fragment that
    /// starts one more closes the connection (<see cref="Connections.DisconnectReason.MemoryBudgetExceeded"/>). Default 64.
    /// </summary>
    public int MaxMessagesInReassembly { get; set; } = 64;

    /// <summary>
    /// Gets or sets how long a message may stay in reassembly, from its first fragment: then it is
    /// evicted (its memory freed, logged and counted) and a late fragment of it is refused. Measured
    /// on the application's <see cref="TimeProvider"/>. Default 30 seconds.
    /// </summary>
    public TimeSpan ReassemblyTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Gets or sets what a refused fragment does (a broken series, a duplicate, a message above
    /// <see cref="MaxMessageSize"/>, a fragment of an evicted message): drop the message and go on,
    /// or close the connection. The memory limits always close. Default <see cref="FrameErrorAction.Disconnect"/>.
    /// </summary>
    public FrameErrorAction ReassemblyErrorAction { get; set; } = FrameErrorAction.Disconnect;

    /// <summary>
    /// Gets or sets the largest request body a handler taking a <see cref="Fragmentation.MessageBody"/>
    /// may receive. Streamed bodies are not buffered, so this may exceed <see cref="MaxMessageSize"/>;
    /// a body that grows past it breaks off with <see cref="Fragmentation.MessageBodyException"/> and
    /// is refused like an oversized message. Default 1 GiB.
    /// </summary>
    public long MaxStreamedBodySize { get; set; } = 1L << 30;

    /// <summary>
    /// Gets or sets how many bytes of a streamed body may wait for its handler to read them; when
    /// they are there, the connection stops reading from the socket until the handler catches up.
    /// Default 64 KiB.
    /// </summary>
    public int StreamedBodyWindow { get; set; } = 64 * 1024;

    /// <summary>Throws when an option is out of range, naming it.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    public void Validate()
    {
        Require(MaxConcurrentConnections > 0, nameof(MaxConcurrentConnections), MaxConcurrentConnections, "must be positive");
        Require(MaxConcurrentRequestsPerConnection > 0, nameof(MaxConcurrentRequestsPerConnection), MaxConcurrentRequestsPerConnection, "must be positive");
        Require(MaxConsecutiveFrameErrors > 0, nameof(MaxConsecutiveFrameErrors), MaxConsecutiveFrameErrors, "must be positive");
        Require(PreambleTimeout > TimeSpan.Zero, nameof(PreambleTimeout), PreambleTimeout, "must be positive");
        Require(MaxPreambleLength > 0, nameof(MaxPreambleLength), MaxPreambleLength, "must be positive");
        Require(ShutdownDrainTimeout >= TimeSpan.Zero, nameof(ShutdownDrainTimeout), ShutdownDrainTimeout, "must not be negative");
        Require(MaxUnflushedBytes > 0, nameof(MaxUnflushedBytes), MaxUnflushedBytes, "must be positive");
        Require(InputBufferPauseThreshold is null or > 0, nameof(InputBufferPauseThreshold), InputBufferPauseThreshold, "must be positive");
        Require(OutputBufferPauseThreshold is null or > 0, nameof(OutputBufferPauseThreshold), OutputBufferPauseThreshold, "must be positive");
        Require(HighPriorityPushCapacity > 0, nameof(HighPriorityPushCapacity), HighPriorityPushCapacity, "must be positive");
        Require(LowPriorityPushCapacity > 0, nameof(LowPriorityPushCapacity), LowPriorityPushCapacity, "must be positive");
        Require(MaxHighPriorityBurst >= 0, nameof(MaxHighPriorityBurst), MaxHighPriorityBurst, "must not be negative");
        Require(HighPriorityTimeSlice is null || HighPriorityTimeSlice > TimeSpan.Zero, nameof(HighPriorityTimeSlice), HighPriorityTimeSlice, "must be positive");
        Require(DeadLetterLogEveryN > 0, nameof(DeadLetterLogEveryN), DeadLetterLogEveryN, "must be positive");
        Require(DeadLetterLogInterval >= TimeSpan.Zero, nameof(DeadLetterLogInterval), DeadLetterLogInterval, "must not be negative");
        Require(SlowConsumerTimeout is null || SlowConsumerTimeout > TimeSpan.Zero, nameof(SlowConsumerTimeout), SlowConsumerTimeout, "must be positive");
        Require(MaxMessageSize > 0, nameof(MaxMessageSize), MaxMessageSize, "must be positive");
        Require(MaxBufferedBytesPerConnection >= MaxMessageSize, nameof(MaxBufferedBytesPerConnection), MaxBufferedBytesPerConnection, $"must be at least {nameof(MaxMessageSize)} ({MaxMessageSize})");
        Require(MaxStreamedBodySize > 0, nameof(MaxStreamedBodySize), MaxStreamedBodySize, "must be positive");
        Require(StreamedBodyWindow > 0, nameof(StreamedBodyWindow), StreamedBodyWindow, "must be positive");
        Require(MaxMessagesInReassembly > 0, nameof(MaxMessagesInReassembly), MaxMessagesInReassembly, "must be positive");
        Require(ReassemblyTimeout > TimeSpan.Zero, nameof(ReassemblyTimeout), ReassemblyTimeout, "must be positive");
        Require(Enum.IsDefined(ReassemblyErrorAction), nameof(ReassemblyErrorAction), ReassemblyErrorAction, "is not a defined value");
        PushRateLimit?.Validate(nameof(PushRateLimit));
        Require(Enum.IsDefined(OversizedFrameAction), nameof(OversizedFrameAction), OversizedFrameAction, "is not a defined value");
        Require(Enum.IsDefined(MalformedFrameAction), nameof(MalformedFrameAction), MalformedFrameAction, "is not a defined value");
        Require(Enum.IsDefined(UnknownMessagePolicy), nameof(UnknownMessagePolicy), UnknownMessagePolicy, "is not a defined value");
        Require(Enum.IsDefined(HandlerExceptionPolicy), nameof(HandlerExceptionPolicy), HandlerExceptionPolicy, "is not a defined value");
    }

    internal WireframeOptions Clone() => (WireframeOptions)MemberwiseClone();

    private static void Require(bool condition, string name, object? value, string rule = "is out of range") =>
        OptionChecks.Require(condition, nameof(WireframeOptions), name, value, rule);
}
