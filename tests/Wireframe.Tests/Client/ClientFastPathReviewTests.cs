using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Wireframe.Client;
using Wireframe.Examples.Echo;
using Wireframe.Messages;
using Wireframe.Routing;
using Wireframe.Testing;
using Wireframe.Tests.Support;

namespace Wireframe.Tests.Client;

/// <summary>
/// Runs alone (no other test class beside it), so that no ActivityListener of another test
/// (ClientDiagnosticsTests) is attached to the client's ActivitySource: a call without a token
/// then takes the path with no state machine of its own for sure.
/// </summary>
[CollectionDefinition(nameof(ClientFastPathAlone), DisableParallelization = true)]
public sealed class ClientFastPathAlone;

/// <summary>
/// From review of the call path where the caller awaits the pooled call object itself (no token,
/// nobody tracing): what it must keep of the path with a state machine.
/// </summary>
[Collection(nameof(ClientFastPathAlone))]
public sealed class ClientFastPathReviewTests
{
    private const uint Gated = 7;
    private const uint Refused = 8;
    private static readonly TimeSpan Safety = TimeSpan.FromSeconds(60);

    /// <summary>
    /// A response type no serializer knows fails the call. Like SendAsync ("as from an async method")
    /// and like the tracked path, the failure belongs in the returned ValueTask; the fast path looks the
    /// formatter up (StartCall) before its try, so CallAsync itself throws.
    /// </summary>
    [Theory]
    [InlineData(false)] // no token: the fast path
    [InlineData(true)] // control: a token takes the tracked path
    public async Task A_response_type_no_serializer_knows_fails_the_returned_task_not_the_call_to_CallAsync(bool withToken)
    {
        await using var server = await TcpTestServer.StartAsync(EchoApp.CreateRouted());
        await using WireframeClient<Envelope> client = await WireframeClient.CreateBuilder()
            .ConnectAsync("127.0.0.1", server.Port);
        using var cts = new CancellationTokenSource();

        Task<Version>? call = null;
        Exception? thrownByCallAsync = Record.Exception(() =>
        {
            call = client.CallAsync<byte[], Version>(EchoApp.EchoMessageId, [1], withToken ? cts.Token : CancellationToken.None).AsTask();
        });

        Assert.Null(thrownByCallAsync);
        await Assert.ThrowsAsync<InvalidOperationException>(() => call!.WaitAsync(Safety));
    }

    /// <summary>
    /// Traced (a listener makes every call take the tracked path): CallTrackedAsync now starts the span
    /// before StartCall looks the response formatter up, outside its try, so a call that fails there
    /// leaves its span started and never stopped (before the change, the lookup came first).
    /// </summary>
    [Fact]
    public async Task A_traced_call_whose_response_type_no_serializer_knows_still_ends_its_span()
    {
        await using var server = await TcpTestServer.StartAsync(EchoApp.CreateRouted());
        await using WireframeClient<Envelope> client = await WireframeClient.CreateBuilder()
            .ConnectAsync("127.0.0.1", server.Port);
        var started = new ConcurrentQueue<Activity>();
        using var tracing = new ActivityListener
        {
            ShouldListenTo = source => source.Name == WireframeClientMetrics.MeterName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllData,
            ActivityStarted = activity =>
            {
                if (activity.OperationName == "wireframe.client.call")
                {
                    started.Enqueue(activity);
                }
            },
        };
        ActivitySource.AddActivityListener(tracing);

        // Control: a call that succeeds ends its span.
        Assert.Equal(new byte[] { 1 }, await client.CallAsync<byte[], byte[]>(EchoApp.EchoMessageId, [1]).AsTask().WaitAsync(Safety));
        await Assert.ThrowsAsync<InvalidOperationException>(async () =>
            await client.CallAsync<byte[], Version>(EchoApp.EchoMessageId, [2]).AsTask().WaitAsync(Safety));

        // Tags are set right after the span starts (before the formatter lookup). The failed call may
        // start no span at all (as before the change), but a span it starts must end.
        Activity[] mine = [.. started.Where(a => a.GetTagItem("server.address") is string address && address.EndsWith($":{server.Port}", StringComparison.Ordinal))];
        Assert.NotEmpty(mine);
        Assert.All(mine, span => Assert.True(span.IsStopped, $"A call span was started and never stopped (status {span.Status})."));
    }

    /// <summary>
    /// The tracked path records a call's end (in_flight -1, calls, duration) in the caller's
    /// ExecutionContext, as it records its start; the fast path records the end on whichever thread
    /// sets the outcome (the receive loop here), under that thread's context: Activity.Current there is
    /// not the caller's, so exemplars and any context-reading listener attribute the measurement wrongly.
    /// </summary>
    [Theory]
    [InlineData(false)] // no token: the fast path
    [InlineData(true)] // control: a token takes the tracked path
    public async Task A_calls_end_is_measured_in_the_callers_context_like_its_start(bool withToken)
    {
        await using var server = await TcpTestServer.StartAsync(EchoApp.CreateRouted());
        await using ServiceProvider services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        IMeterFactory meters = services.GetRequiredService<IMeterFactory>();
        var seen = new ConcurrentQueue<(string Instrument, double Value, string? TraceId)>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == WireframeClientMetrics.MeterName && ReferenceEquals(instrument.Meter.Scope, meters))
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, _, _) => seen.Enqueue((instrument.Name, value, Activity.Current?.TraceId.ToHexString())));
        listener.SetMeasurementEventCallback<double>((instrument, value, _, _) => seen.Enqueue((instrument.Name, value, Activity.Current?.TraceId.ToHexString())));
        listener.Start();
        await using WireframeClient<Envelope> client = await WireframeClient.CreateBuilder()
            .UseMeterFactory(meters)
            .ConnectAsync("127.0.0.1", server.Port);
        using var cts = new CancellationTokenSource();

        string callersTrace;
        using (Activity request = new Activity("the caller's request").Start())
        {
            callersTrace = request.TraceId.ToHexString();
            Assert.Equal(new byte[] { 1 }, await client.CallAsync<byte[], byte[]>(EchoApp.EchoMessageId, [1], withToken ? cts.Token : CancellationToken.None).AsTask().WaitAsync(Safety));
        }

        var calls = seen.Where(m => m.Instrument.StartsWith("wireframe.client.call", StringComparison.Ordinal)).ToArray();
        Assert.Equal(4, calls.Length); // in_flight +1, in_flight -1, calls, duration
        Assert.All(calls, m => Assert.True(m.TraceId == callersTrace, $"{m.Instrument} ({m.Value}) was recorded under trace {m.TraceId ?? "none"}, not the caller's {callersTrace}."));
    }

    /// <summary>
    /// Pin (passes): on the fast path every outcome ends the call once in the metrics, in both
    /// correlation modes and both completion modes: ok, error frame, timeout (late answer discarded),
    /// Register refusing (client disposed).
    /// </summary>
    [Theory]
    [InlineData(CorrelationMode.Correlated, false)]
    [InlineData(CorrelationMode.Correlated, true)]
    [InlineData(CorrelationMode.Fifo, false)]
    [InlineData(CorrelationMode.Fifo, true)]
    public async Task Every_outcome_of_an_untracked_call_ends_it_once_in_the_metrics(CorrelationMode mode, bool inline)
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        WireframeAppBuilder<Envelope> app = EchoApp.CreateRouted();
        app.Route<ReadOnlySequence<byte>, byte[]>(Gated, async (payload, _) =>
        {
            byte[] copy = payload.ToArray();
            await gate.Task.WaitAsync(Safety);
            return copy;
        });
        app.Route<ReadOnlySequence<byte>, byte[]>(Refused, (payload, _) => payload.ToArray());
        await using var server = await TcpTestServer.StartAsync(app);
        await using ServiceProvider services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        IMeterFactory meters = services.GetRequiredService<IMeterFactory>();
        using var metrics = new MetricCapture(meters, WireframeClientMetrics.MeterName);
        var time = new ManualTimeProvider();
        WireframeClient<Envelope> client = await WireframeClient.CreateBuilder()
            .UseMeterFactory(meters)
            .UseTimeProvider(time)
            .UseErrorFrames(frame => frame.MessageId == Refused ? new InvalidDataException("refused") : null)
            .Configure(options =>
            {
                options.CorrelationMode = mode;
                options.CompleteCallsInline = inline;
            })
            .ConnectAsync("127.0.0.1", server.Port);
        try
        {
            Assert.Equal(new byte[] { 1 }, await client.CallAsync<byte[], byte[]>(EchoApp.EchoMessageId, [1]).AsTask().WaitAsync(Safety));
            await Assert.ThrowsAsync<InvalidDataException>(() => client.CallAsync<byte[], byte[]>(Refused, [2]).AsTask().WaitAsync(Safety));

            Task<byte[]> late = client.CallAsync<byte[], byte[]>(Gated, [3]).AsTask();
            time.Advance(TimeSpan.FromSeconds(31));
            await Assert.ThrowsAsync<TimeoutException>(() => late.WaitAsync(Safety));
            gate.SetResult();
            await Fragmentation.FragmentKit.WaitUntilAsync(() => client.UnmatchedResponses == 1, "the late answer discarded");
            Assert.Equal(new byte[] { 4 }, await client.CallAsync<byte[], byte[]>(EchoApp.EchoMessageId, [4]).AsTask().WaitAsync(Safety));

            Assert.Equal(0, metrics.Sum("wireframe.client.calls.in_flight"));
        }
        finally
        {
            await client.DisposeAsync().AsTask().WaitAsync(Safety);
        }

        await Assert.ThrowsAsync<WireframeConnectionLostException>(() => client.CallAsync<byte[], byte[]>(EchoApp.EchoMessageId, [5]).AsTask().WaitAsync(Safety));

        Assert.Equal(2, metrics.Sum("wireframe.client.calls", "wireframe.call.outcome", "ok"));
        Assert.Equal(1, metrics.Sum("wireframe.client.calls", "wireframe.call.outcome", "error"));
        Assert.Equal(1, metrics.Sum("wireframe.client.calls", "wireframe.call.outcome", "timeout"));
        Assert.Equal(1, metrics.Sum("wireframe.client.calls", "wireframe.call.outcome", "connection_lost"));
        Assert.Equal(0, metrics.Sum("wireframe.client.calls.in_flight"));
        Assert.Equal(5, metrics.Measurements.Count(m => m.Instrument == "wireframe.client.call.duration"));
    }
}
