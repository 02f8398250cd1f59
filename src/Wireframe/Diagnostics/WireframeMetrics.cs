using System.Diagnostics;
using System.Diagnostics.Metrics;

using Wireframe.Connections;

namespace Wireframe.Diagnostics;

/// <summary>
/// The server's instruments, named in the style of <c>kestrel.*</c>. Created once per application from
/// <see cref="IMeterFactory"/> so each host's meters are isolated (and testable).
/// </summary>
public sealed class WireframeMetrics
{
    /// <summary>The meter name to subscribe to (for example with OpenTelemetry's <c>AddMeter</c>).</summary>
    public const string MeterName = "Wireframe.Server";

    private readonly UpDownCounter<long> _activeConnections;
    private readonly Counter<long> _rejectedConnections;
    private readonly Counter<long> _framesReceived;
    private readonly Counter<long> _framesSent;
    private readonly Counter<long> _errors;
    private readonly Histogram<double> _connectionDuration;
    private readonly Counter<long> _pushes;
    private readonly Counter<long> _framesDropped;
    private readonly Counter<long> _deadLetters;
    private readonly Counter<long> _streamEnds;
    private readonly Counter<long> _reassemblyErrors;
    private readonly Counter<long> _reassemblyEvictions;
    private readonly Counter<long> _readPauses;
    private readonly Counter<long> _messagesReassembled;
    private long _reassemblyBufferedBytes;
    private long _queuedPushes;

    /// <summary>Initializes a new instance of the <see cref="WireframeMetrics"/> class.</summary>
    /// <param name="meterFactory">The factory that owns the meter.</param>
    public WireframeMetrics(IMeterFactory meterFactory)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        Meter meter = meterFactory.Create(MeterName);
        _activeConnections = meter.CreateUpDownCounter<long>("wireframe.server.active_connections", "{connection}", "Connections currently open.");
        _rejectedConnections = meter.CreateCounter<long>("wireframe.server.rejected_connections", "{connection}", "Connections closed on arrival because a limit was reached.");
        _framesReceived = meter.CreateCounter<long>("wireframe.server.frames_received", "{frame}", "Frames decoded from peers.");
        _framesSent = meter.CreateCounter<long>("wireframe.server.frames_sent", "{frame}", "Frames encoded to peers.");
        _errors = meter.CreateCounter<long>("wireframe.server.errors", "{error}", "Errors by kind (tag error.type).");
        _connectionDuration = meter.CreateHistogram<double>(
            "wireframe.server.connection.duration",
            "s",
            "How long connections stayed open, by close reason.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.01, 0.1, 1, 10, 60, 300, 3600] });
        _pushes = meter.CreateCounter<long>("wireframe.server.pushes", "{frame}", "Frames queued for push, by priority (tag wireframe.push.priority).");
        _framesDropped = meter.CreateCounter<long>("wireframe.server.frames_dropped", "{frame}", "Pushed frames that were never sent, by reason (tag wireframe.drop_reason).");
        _deadLetters = meter.CreateCounter<long>("wireframe.server.dead_letters", "{frame}", "Pushed frames delivered to the dead-letter queue because a push queue was full.");
        _streamEnds = meter.CreateCounter<long>("wireframe.server.stream_terminations", "{stream}", "Streamed responses that ended, by how (tag wireframe.stream_end).");
        _reassemblyErrors = meter.CreateCounter<long>("wireframe.server.reassembly.errors", "{fragment}", "Fragments refused by reassembly, by reason (tag wireframe.reassembly_error).");
        _reassemblyEvictions = meter.CreateCounter<long>("wireframe.server.reassembly.evictions", "{message}", "Partial messages evicted because WireframeOptions.ReassemblyTimeout ran out.");
        _readPauses = meter.CreateCounter<long>("wireframe.server.read_pauses", "{pause}", "Times a connection stopped reading because its inbound memory reached 80 % of WireframeOptions.MaxBufferedBytesPerConnection.");
        _messagesReassembled = meter.CreateCounter<long>("wireframe.server.reassembly.messages", "{message}", "Messages put back together from two or more fragments.");
        meter.CreateObservableGauge("wireframe.server.reassembly.buffered_bytes", () => Volatile.Read(ref _reassemblyBufferedBytes), "By", "Bytes held for partial messages across connections.");
        meter.CreateObservableGauge("wireframe.server.push_queue.depth", () => Volatile.Read(ref _queuedPushes), "{frame}", "Pushed frames waiting in connections' queues.");
    }

    internal void ConnectionOpened() => _activeConnections.Add(1);

    internal void ConnectionClosed(DisconnectReason reason, TimeSpan duration)
    {
        _activeConnections.Add(-1);
        if (_connectionDuration.Enabled)
        {
            _connectionDuration.Record(duration.TotalSeconds, new KeyValuePair<string, object?>("wireframe.close_reason", DisconnectReasonNames.Get(reason)));
        }
    }

    internal void ConnectionRejected(string reason) =>
        _rejectedConnections.Add(1, new KeyValuePair<string, object?>("wireframe.rejection_reason", reason));

    internal void FramesReceived(long count)
    {
        if (count != 0)
        {
            _framesReceived.Add(count);
        }
    }

    internal void FramesSent(long count)
    {
        if (count != 0)
        {
            _framesSent.Add(count);
        }
    }

    internal void Error(string errorType) =>
        _errors.Add(1, new KeyValuePair<string, object?>("error.type", errorType));

    internal void PushQueued(Outbound.PushPriority priority)
    {
        Interlocked.Increment(ref _queuedPushes);
        _pushes.Add(1, new KeyValuePair<string, object?>("wireframe.push.priority", priority == Outbound.PushPriority.High ? "high" : "low"));
    }

    internal void PushDequeued() => Interlocked.Decrement(ref _queuedPushes);

    internal void FrameDropped(string reason) =>
        _framesDropped.Add(1, new KeyValuePair<string, object?>("wireframe.drop_reason", reason));

    internal void DeadLettered() => _deadLetters.Add(1);

    internal void StreamEnded(string how) =>
        _streamEnds.Add(1, new KeyValuePair<string, object?>("wireframe.stream_end", how));

    internal void ReassemblyError(string reason) =>
        _reassemblyErrors.Add(1, new KeyValuePair<string, object?>("wireframe.reassembly_error", reason));

    internal void ReassemblyEvicted(int count) => _reassemblyEvictions.Add(count);

    internal void ReadPaused() => _readPauses.Add(1);

    internal void MessageReassembled() => _messagesReassembled.Add(1);

    internal void ReassemblyBuffered(long delta)
    {
        if (delta != 0)
        {
            Interlocked.Add(ref _reassemblyBufferedBytes, delta);
        }
    }
}
