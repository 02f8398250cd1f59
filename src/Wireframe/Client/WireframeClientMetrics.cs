using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Wireframe.Client;

/// <summary>
/// The client's instruments on meter <see cref="MeterName"/>, created through an
/// <see cref="IMeterFactory"/> when the builder has one (<c>UseMeterFactory</c>), and its
/// <see cref="ActivitySource"/> of the same name.
/// </summary>
public sealed class WireframeClientMetrics
{
    /// <summary>The meter and activity source name to subscribe to (for example with OpenTelemetry's <c>AddMeter</c> and <c>AddSource</c>).</summary>
    public const string MeterName = "Wireframe.Client";

    private static readonly Lazy<Meter> SharedMeter = new(() => new Meter(MeterName));
    private readonly Counter<long> _calls;
    private readonly UpDownCounter<long> _inFlight;
    private readonly Histogram<double> _duration;
    private readonly Counter<long> _unmatched;
    private readonly Counter<long> _droppedPushes;
    private readonly UpDownCounter<long> _poolConnections;
    private readonly UpDownCounter<long> _queuedCalls;
    private readonly Counter<long> _reconnects;

    internal WireframeClientMetrics(IMeterFactory? meterFactory)
    {
        Meter meter = meterFactory?.Create(new MeterOptions(MeterName)) ?? SharedMeter.Value;
        _calls = meter.CreateCounter<long>("wireframe.client.calls", "{call}", "Calls that ended, by outcome (tag wireframe.call.outcome: ok, error, timeout, cancelled, connection_lost).");
        _inFlight = meter.CreateUpDownCounter<long>("wireframe.client.calls.in_flight", "{call}", "Calls waiting for their response.");
        _duration = meter.CreateHistogram<double>(
            "wireframe.client.call.duration",
            "s",
            "Time from sending a call to its outcome.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30] });
        _unmatched = meter.CreateCounter<long>("wireframe.client.unmatched_responses", "{frame}", "Responses that matched no call.");
        _droppedPushes = meter.CreateCounter<long>("wireframe.client.dropped_pushes", "{frame}", "Pushes dropped because the subscriber was too far behind.");
        _poolConnections = meter.CreateUpDownCounter<long>("wireframe.client.pool.connections", "{connection}", "Connections of client pools that are open.");
        _queuedCalls = meter.CreateUpDownCounter<long>("wireframe.client.pool.queued_calls", "{call}", "Calls waiting in line for a pool connection.");
        _reconnects = meter.CreateCounter<long>("wireframe.client.reconnects", "{attempt}", "Reconnect attempts of client pools, by outcome (tag wireframe.reconnect.outcome: ok, failed).");
    }

    internal static ActivitySource Source { get; } = new(MeterName);

    internal void CallStarted() => _inFlight.Add(1);

    internal void CallEnded(string outcome, TimeSpan duration)
    {
        _inFlight.Add(-1);
        var tag = new KeyValuePair<string, object?>("wireframe.call.outcome", outcome);
        _calls.Add(1, tag);
        if (_duration.Enabled)
        {
            _duration.Record(duration.TotalSeconds, tag);
        }
    }

    internal void Unmatched() => _unmatched.Add(1);

    internal void PushDropped() => _droppedPushes.Add(1);

    internal void PoolConnectionChanged(int delta) => _poolConnections.Add(delta);

    internal void QueuedCallsChanged(int delta) => _queuedCalls.Add(delta);

    internal void ReconnectAttempted(bool succeeded) =>
        _reconnects.Add(1, new KeyValuePair<string, object?>("wireframe.reconnect.outcome", succeeded ? "ok" : "failed"));

    internal static string OutcomeOf(Exception? error) => error switch
    {
        null => "ok",
        TimeoutException => "timeout",
        OperationCanceledException => "cancelled",
        WireframeConnectionLostException => "connection_lost",
        _ => "error",
    };
}
