using Wireframe.Messages;
using Wireframe.Outbound;
using Wireframe.Testing;
using Wireframe.Tests.Support;
using static Wireframe.Tests.Connections.TestKit;
using static Wireframe.Tests.Outbound.PushKit;

namespace Wireframe.Tests.Outbound;

/// <summary>The push instruments of diagnostics.md: pushes by priority, drops by reason, and the queue-depth gauge.</summary>
public sealed class PushMetricsTests
{
    private const string Pushes = "wireframe.server.pushes";
    private const string Priority = "wireframe.push.priority";
    private const string Dropped = "wireframe.server.frames_dropped";
    private const string DropReason = "wireframe.drop_reason";

    [Fact]
    public async Task The_pushes_counter_counts_queued_frames_by_priority_and_nothing_that_was_refused()
    {
        await using var host = WireframeTest.CreateHost(CreateApp(out PushProbe probe, o => o.HighPriorityPushCapacity = 2));
        using var metrics = new MetricCapture(host.Services);
        await using var client = host.Connect(PausedPipe);
        PushHandle<Envelope> pushes = (await probe.NextSessionAsync()).Pushes;

        Assert.Equal(PushResult.Queued, pushes.TryPush(Push(0)));
        await client.WaitForServerBytesAsync();
        Assert.Equal(PushResult.Queued, await pushes.PushAsync(Push(1)).Within());
        Assert.Equal(PushResult.Queued, pushes.TryPush(2, new Notice("typed", 2)));
        Assert.Equal(PushResult.QueueFull, pushes.TryPush(Push(3)));
        Assert.Equal(PushResult.Dropped, pushes.TryPush(Push(4), PushPriority.High, PushFullPolicy.Drop));
        Assert.Equal(PushResult.Queued, pushes.TryPush(Push(201), PushPriority.Low));
        Assert.Equal(PushResult.Queued, await pushes.PushAsync(202, new Notice("typed", 202), PushPriority.Low).Within());

        Assert.Equal(3, metrics.Sum(Pushes, Priority, "high"));
        Assert.Equal(2, metrics.Sum(Pushes, Priority, "low"));
        Assert.Equal(5, metrics.Sum(Pushes));
        Assert.Equal(1, metrics.Sum(Dropped, DropReason, DropReasons.QueueFull));
        Assert.Equal(5, (await client.ReadFramesAsync(5)).Count);
    }

    [Fact]
    public async Task Frames_dropped_is_tagged_with_why_queue_full_rate_limited_and_closed()
    {
        // Three permits and no refill during the test: frames 0, 1 and 2 get one, frame 3 is rate-limited.
        var app = CreateApp(out PushProbe probe, o =>
        {
            o.HighPriorityPushCapacity = 1;
            o.PushRateLimit = new PushRateLimit(1, TimeSpan.FromHours(1), Burst: 3);
        });
        await using var host = WireframeTest.CreateHost(app);
        using var metrics = new MetricCapture(host.Services);
        await using var client = host.Connect(PausedPipe);
        PushHandle<Envelope> pushes = (await probe.NextSessionAsync()).Pushes;

        Assert.Equal(PushResult.Queued, pushes.TryPush(Push(0)));
        await client.WaitForServerBytesAsync();
        Assert.Equal(PushResult.Queued, pushes.TryPush(Push(1)));
        Assert.Equal(PushResult.Dropped, pushes.TryPush(Push(2), PushPriority.High, PushFullPolicy.Drop));
        Assert.Equal(PushResult.RateLimited, pushes.TryPush(Push(3), PushPriority.High, PushFullPolicy.Drop));

        Assert.Equal(1, metrics.Sum(Dropped, DropReason, DropReasons.QueueFull));
        Assert.Equal(1, metrics.Sum(Dropped, DropReason, DropReasons.RateLimited));
        Assert.Equal(0, metrics.Sum(Dropped, DropReason, DropReasons.Closed));

        Assert.Equal([0u, 1u], (await client.ReadFramesAsync(2)).Select(f => f.MessageId));
        await client.CompleteAsync();
        await client.ClosedAsync();
        Assert.Equal(PushResult.Closed, pushes.TryPush(Push(4)));

        Assert.Equal(1, metrics.Sum(Dropped, DropReason, DropReasons.Closed));
        Assert.Equal(3, metrics.Sum(Dropped));
    }

    [Fact]
    public async Task Push_queue_depth_reports_the_frames_waiting_in_all_connections_queues()
    {
        await using var host = WireframeTest.CreateHost(CreateApp(out PushProbe probe));
        using var gauge = new QueueDepthGauge(host.Services);
        Assert.Equal(0, gauge.Read());

        await using var first = host.Connect(PausedPipe);
        PushHandle<Envelope> firstPushes = (await probe.NextSessionAsync()).Pushes;
        await using var second = host.Connect(PausedPipe);
        PushHandle<Envelope> secondPushes = (await probe.NextSessionAsync()).Pushes;

        // Frame 0 of each connection holds its writer (taken off the queue); the rest wait in the queues.
        Assert.Equal(PushResult.Queued, firstPushes.TryPush(Push(0)));
        Assert.Equal(PushResult.Queued, secondPushes.TryPush(Push(0)));
        await first.WaitForServerBytesAsync();
        await second.WaitForServerBytesAsync();
        Assert.Equal(0, gauge.Read());

        for (uint id = 1; id <= 3; id++)
        {
            Assert.Equal(PushResult.Queued, firstPushes.TryPush(Push(id)));
        }

        Assert.Equal(PushResult.Queued, secondPushes.TryPush(Push(1)));
        Assert.Equal(PushResult.Queued, secondPushes.TryPush(Push(201), PushPriority.Low));
        Assert.Equal(5, gauge.Read());

        await first.ReadFramesAsync(4);
        Assert.Equal(2, gauge.Read());
        await second.ReadFramesAsync(3);
        Assert.Equal(0, gauge.Read());
    }
}
