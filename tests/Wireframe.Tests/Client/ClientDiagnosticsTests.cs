using System.Buffers;
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

/// <summary>The client's metrics and spans.</summary>
public sealed class ClientDiagnosticsTests
{
    private static readonly TimeSpan Safety = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Calls_are_counted_by_outcome_timed_and_traced()
    {
        await using var server = await TcpTestServer.StartAsync(EchoWithAlteredIds());
        await using ServiceProvider services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        IMeterFactory meters = services.GetRequiredService<IMeterFactory>();
        using var metrics = new MetricCapture(meters, WireframeClientMetrics.MeterName);
        var spans = new List<string>();
        using var tracing = new ActivityListener
        {
            ShouldListenTo = source => source.Name == WireframeClientMetrics.MeterName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllData,
            ActivityStopped = activity =>
            {
                // Other tests' clients trace into the same listener: keep this server's spans only.
                if (activity.GetTagItem("server.address") is string address && address.EndsWith($":{server.Port}", StringComparison.Ordinal))
                {
                    lock (spans)
                    {
                        spans.Add($"{activity.OperationName} {activity.Status}");
                    }
                }
            },
        };
        ActivitySource.AddActivityListener(tracing);
        var time = new ManualTimeProvider();
        await using WireframeClient<Envelope> client = await WireframeClient.CreateBuilder()
            .UseMeterFactory(meters)
            .UseTimeProvider(time)
            .ConnectAsync("127.0.0.1", server.Port);

        for (int i = 0; i < 3; i++)
        {
            await client.CallAsync<byte[], byte[]>(EchoApp.EchoMessageId, [1]).AsTask().WaitAsync(Safety);
        }

        Task<byte[]> lost = client.CallAsync<byte[], byte[]>(5, [2]).AsTask();
        await Fragmentation.FragmentKit.WaitUntilAsync(() => client.UnmatchedResponses == 1, "the altered response seen");
        time.Advance(TimeSpan.FromSeconds(31));
        await Assert.ThrowsAsync<TimeoutException>(() => lost.WaitAsync(Safety));

        Assert.Equal(3, metrics.Sum("wireframe.client.calls", "wireframe.call.outcome", "ok"));
        Assert.Equal(1, metrics.Sum("wireframe.client.calls", "wireframe.call.outcome", "timeout"));
        Assert.Equal(0, metrics.Sum("wireframe.client.calls.in_flight"));
        Assert.Equal(4, metrics.Measurements.Count(m => m.Instrument == "wireframe.client.call.duration"));
        Assert.Equal(1, metrics.Sum("wireframe.client.unmatched_responses"));
        lock (spans)
        {
            Assert.Contains("wireframe.client.connect Unset", spans);
            Assert.Equal(3, spans.Count(s => s == "wireframe.client.call Unset"));
            Assert.Contains("wireframe.client.call Error", spans);
        }
    }

    [Fact]
    public async Task Calls_nobody_traces_are_counted_by_outcome_and_timed_when_they_end()
    {
        // No activity listener here (none in this class outlives its test, and the class runs its
        // tests one at a time): calls without a token take the path with no state machine of their own.
        await using var server = await TcpTestServer.StartAsync(EchoWithAlteredIds());
        await using ServiceProvider services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        IMeterFactory meters = services.GetRequiredService<IMeterFactory>();
        using var metrics = new MetricCapture(meters, WireframeClientMetrics.MeterName);
        var time = new ManualTimeProvider();
        await using WireframeClient<Envelope> client = await WireframeClient.CreateBuilder()
            .UseMeterFactory(meters)
            .UseTimeProvider(time)
            .ConnectAsync("127.0.0.1", server.Port);

        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(new byte[] { (byte)i }, await client.CallAsync<byte[], byte[]>(EchoApp.EchoMessageId, [(byte)i]).AsTask().WaitAsync(Safety));
        }

        // The server answers under another id, so this call waits until its deadline.
        Task<byte[]> unanswered = client.CallAsync<byte[], byte[]>(5, [2], correlationId: 77).AsTask();
        await Fragmentation.FragmentKit.WaitUntilAsync(() => client.UnmatchedResponses == 1, "the altered response seen");

        // A request refused before it is sent (its id is taken) ends as an error, and only it does.
        InvalidOperationException refused = await Assert.ThrowsAsync<InvalidOperationException>(
            async () => await client.CallAsync<byte[], byte[]>(EchoApp.EchoMessageId, [3], correlationId: 77));
        Assert.Contains("77", refused.Message, StringComparison.Ordinal);
        Assert.Equal(1, client.InFlight);
        Assert.Equal(1, metrics.Sum("wireframe.client.calls.in_flight"));

        time.Advance(TimeSpan.FromSeconds(31));
        await Assert.ThrowsAsync<TimeoutException>(() => unanswered.WaitAsync(Safety));
        Assert.Equal(new byte[] { 9 }, await client.CallAsync<byte[], byte[]>(EchoApp.EchoMessageId, [9]).AsTask().WaitAsync(Safety));

        Assert.Equal(4, metrics.Sum("wireframe.client.calls", "wireframe.call.outcome", "ok"));
        Assert.Equal(1, metrics.Sum("wireframe.client.calls", "wireframe.call.outcome", "timeout"));
        Assert.Equal(1, metrics.Sum("wireframe.client.calls", "wireframe.call.outcome", "error"));
        Assert.Equal(0, metrics.Sum("wireframe.client.calls.in_flight"));
        Assert.Equal(6, metrics.Measurements.Count(m => m.Instrument == "wireframe.client.call.duration"));
    }

    /// <summary>The routed echo, plus message 5, answered under another correlation id (its call never gets a response).</summary>
    private static WireframeAppBuilder<Envelope> EchoWithAlteredIds()
    {
        WireframeAppBuilder<Envelope> app = EchoApp.CreateRouted();
        app.Route<ReadOnlySequence<byte>>(5, async (payload, context) =>
            await context.Connection.SendAsync(5, payload.ToArray(), context.CorrelationId + 1000));
        return app;
    }
}
