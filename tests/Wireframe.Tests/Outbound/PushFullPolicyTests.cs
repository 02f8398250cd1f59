using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Wireframe.Messages;
using Wireframe.Outbound;
using Wireframe.Testing;
using Wireframe.Tests.Support;
using static Wireframe.Tests.Connections.TestKit;
using static Wireframe.Tests.Outbound.PushKit;

namespace Wireframe.Tests.Outbound;

/// <summary>
/// A full push queue: <c>TryPush</c> applies its <see cref="PushFullPolicy"/>, <c>PushAsync</c> waits for room.
/// The queue fills because the first push (id 0) holds the writer in a flush the client has not read yet.
/// </summary>
public sealed class PushFullPolicyTests
{
    private const int Capacity = 2;
    private const string Dropped = "wireframe.server.frames_dropped";
    private const string DropReason = "wireframe.drop_reason";

    private static WireframeTestHost<Envelope> Host(out PushProbe probe, LogCapture? logs = null) =>
        WireframeTest.CreateHost(
            CreateApp(out probe, o => o.HighPriorityPushCapacity = Capacity),
            services => services.AddLogging(b =>
            {
                if (logs is not null)
                {
                    b.AddProvider(logs).SetMinimumLevel(LogLevel.Debug);
                }
            }));

    /// <summary>Pushes frame 0 (which takes the writer and stays in its flush), then fills the high-priority queue with 1 and 2.</summary>
    private static async Task<PushHandle<Envelope>> FillAsync(TestConnection<Envelope> client, PushProbe probe)
    {
        PushHandle<Envelope> pushes = (await probe.NextSessionAsync()).Pushes;
        Assert.Equal(PushResult.Queued, pushes.TryPush(Push(0)));
        await client.WaitForServerBytesAsync();
        for (uint id = 1; id <= Capacity; id++)
        {
            Assert.Equal(PushResult.Queued, pushes.TryPush(Push(id)));
        }

        return pushes;
    }

    /// <summary>Reads the frames that were queued, then proves nothing else was: the next frame is one pushed now.</summary>
    private static async Task AssertOnlyQueuedFramesWereSentAsync(TestConnection<Envelope> client, PushHandle<Envelope> pushes, params uint[] queued)
    {
        Assert.Equal(queued, (await client.ReadFramesAsync(queued.Length)).Select(f => f.MessageId));
        Assert.Equal(PushResult.Queued, await pushes.PushAsync(Push(99, "sentinel")).Within());
        Envelope next = await client.NextFrameAsync();
        Assert.Equal((99u, "sentinel"), (next.MessageId, next.PushText()));
    }

    [Fact]
    public async Task ReturnError_returns_QueueFull_and_the_frame_is_neither_sent_nor_counted_as_dropped()
    {
        await using var host = Host(out PushProbe probe);
        using var metrics = new MetricCapture(host.Services);
        await using var client = host.Connect(PausedPipe);
        PushHandle<Envelope> pushes = await FillAsync(client, probe);

        Assert.Equal(PushResult.QueueFull, pushes.TryPush(Push(3), PushPriority.High, PushFullPolicy.ReturnError));
        Assert.Equal(PushResult.QueueFull, pushes.TryPush(4, new Notice("typed", 4), PushPriority.High, PushFullPolicy.ReturnError));

        await AssertOnlyQueuedFramesWereSentAsync(client, pushes, 0, 1, 2);
        Assert.Equal(0, metrics.Sum(Dropped));
    }

    [Fact]
    public async Task Drop_returns_Dropped_counts_the_frame_as_queue_full_and_logs_nothing()
    {
        using var logs = new LogCapture();
        await using var host = Host(out PushProbe probe, logs);
        using var metrics = new MetricCapture(host.Services);
        await using var client = host.Connect(PausedPipe);
        PushHandle<Envelope> pushes = await FillAsync(client, probe);

        Assert.Equal(PushResult.Dropped, pushes.TryPush(Push(3), PushPriority.High, PushFullPolicy.Drop));
        Assert.Equal(PushResult.Dropped, pushes.TryPush(4, new Notice("typed", 4), PushPriority.High, PushFullPolicy.Drop));

        await AssertOnlyQueuedFramesWereSentAsync(client, pushes, 0, 1, 2);
        Assert.Equal(2, metrics.Sum(Dropped, DropReason, DropReasons.QueueFull));
        Assert.Equal(2, metrics.Sum(Dropped));
        Assert.Empty(logs.Wireframe(400));
    }

    [Fact]
    public async Task WarnAndDrop_drops_counts_and_logs_warning_400_naming_the_queue_and_the_count()
    {
        using var logs = new LogCapture();
        await using var host = Host(out PushProbe probe, logs);
        using var metrics = new MetricCapture(host.Services);
        await using var client = host.Connect(PausedPipe);
        PushHandle<Envelope> pushes = await FillAsync(client, probe);

        Assert.Equal(PushResult.Dropped, pushes.TryPush(Push(3), PushPriority.High, PushFullPolicy.WarnAndDrop));
        Assert.Equal(PushResult.Dropped, pushes.TryPush(Push(4), PushPriority.High, PushFullPolicy.WarnAndDrop));

        await AssertOnlyQueuedFramesWereSentAsync(client, pushes, 0, 1, 2);
        Assert.Equal(2, metrics.Sum(Dropped, DropReason, DropReasons.QueueFull));

        // Default throttle (a line per loss, no interval): one warning per dropped frame, each standing for one.
        IReadOnlyList<CapturedLog> warnings = logs.Wireframe(400);
        Assert.Equal(2, warnings.Count);
        Assert.All(warnings, w =>
        {
            Assert.Equal(LogLevel.Warning, w.Level);
            Assert.Equal(1L, w["Count"]);
            Assert.Equal(PushPriority.High, w["Priority"]);
            Assert.Equal(pushes.ConnectionId.Value, w["ConnectionId"]);
            Assert.Contains("HighPriorityPushCapacity", w.Message, StringComparison.Ordinal);
        });
    }

    [Fact]
    public async Task The_low_priority_queue_has_its_own_capacity()
    {
        await using var host = Host(out PushProbe probe);
        await using var client = host.Connect(PausedPipe);
        PushHandle<Envelope> pushes = await FillAsync(client, probe);

        Assert.Equal(PushResult.QueueFull, pushes.TryPush(Push(3), PushPriority.High));
        Assert.Equal(PushResult.Queued, pushes.TryPush(Push(201), PushPriority.Low));

        await AssertOnlyQueuedFramesWereSentAsync(client, pushes, 0, 1, 2, 201);
    }

    [Fact]
    public async Task PushAsync_waits_for_room_and_completes_once_the_writer_has_drained_the_queue()
    {
        await using var host = Host(out PushProbe probe);
        await using var client = host.Connect(PausedPipe);
        PushHandle<Envelope> pushes = await FillAsync(client, probe);

        ValueTask<PushResult> waiting = pushes.PushAsync(Push(3));
        Assert.False(waiting.IsCompleted, "The queue is full and the writer is stuck: the push must wait (backpressure).");

        // Reading lets the writer go on; it drains the queue, which makes room for the waiting push.
        Assert.Equal([0u, 1u], (await client.ReadFramesAsync(2)).Select(f => f.MessageId));
        Assert.Equal(PushResult.Queued, await waiting.Within());
        Assert.Equal([2u, 3u], (await client.ReadFramesAsync(2)).Select(f => f.MessageId));
    }

    [Fact]
    public async Task Cancelling_a_waiting_PushAsync_throws_OperationCanceledException_and_the_frame_is_never_sent()
    {
        await using var host = Host(out PushProbe probe);
        await using var client = host.Connect(PausedPipe);
        PushHandle<Envelope> pushes = await FillAsync(client, probe);

        using var cancel = new CancellationTokenSource();
        ValueTask<PushResult> waiting = pushes.PushAsync(Push(3), PushPriority.High, cancel.Token);
        ValueTask<PushResult> typedWaiting = pushes.PushAsync(4, new Notice("typed", 4), PushPriority.High, cancel.Token);
        Assert.False(waiting.IsCompleted);
        Assert.False(typedWaiting.IsCompleted);
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting.Within());
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => typedWaiting.Within());
        await AssertOnlyQueuedFramesWereSentAsync(client, pushes, 0, 1, 2);
    }

    [Fact]
    public async Task PushAsync_with_an_already_cancelled_token_throws_without_queueing_when_it_would_have_to_wait()
    {
        await using var host = Host(out PushProbe probe);
        await using var client = host.Connect(PausedPipe);
        PushHandle<Envelope> pushes = await FillAsync(client, probe);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pushes.PushAsync(Push(3), PushPriority.High, new CancellationToken(canceled: true)).Within());

        await AssertOnlyQueuedFramesWereSentAsync(client, pushes, 0, 1, 2);
    }

    [Fact]
    public async Task PushAsync_with_an_already_cancelled_token_throws_without_queueing_even_when_there_is_room()
    {
        await using var host = Host(out PushProbe probe);
        await using var client = host.Connect(PausedPipe);
        PushHandle<Envelope> pushes = (await probe.NextSessionAsync()).Pushes;

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pushes.PushAsync(Push(1), PushPriority.High, new CancellationToken(canceled: true)).Within());
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pushes.PushAsync(2, new Notice("typed", 2), PushPriority.Low, new CancellationToken(canceled: true)).Within());

        await AssertOnlyQueuedFramesWereSentAsync(client, pushes);
    }
}
