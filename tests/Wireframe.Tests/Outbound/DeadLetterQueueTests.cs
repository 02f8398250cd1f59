using System.Buffers;
using System.Text.Json;
using System.Threading.Channels;
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
/// <c>UseDeadLetterQueue</c>: frames a full push queue would drop go to the application's channel; when
/// that is full or completed too they are lost, counted and reported in a throttled warning (event 401).
/// </summary>
public sealed class DeadLetterQueueTests
{
    private const string Dropped = "wireframe.server.frames_dropped";
    private const string DeadLetters = "wireframe.server.dead_letters";
    private const string DropReason = "wireframe.drop_reason";

    private static WireframeTestHost<Envelope> Host(ChannelWriter<Envelope> deadLetters, out PushProbe probe, LogCapture logs, Action<WireframeOptions>? configure = null)
    {
        var app = CreateApp(out probe, o =>
        {
            o.HighPriorityPushCapacity = 1;
            configure?.Invoke(o);
        }).UseDeadLetterQueue(deadLetters);
        return WireframeTest.CreateHost(app, services => services.AddLogging(b => b.AddProvider(logs).SetMinimumLevel(LogLevel.Debug)));
    }

    /// <summary>Pushes frame 0 (which holds the writer in a flush the client has not read) and fills the one-frame queue with frame 1.</summary>
    private static async Task<PushHandle<Envelope>> FillAsync(TestConnection<Envelope> client, PushProbe probe)
    {
        PushHandle<Envelope> pushes = (await probe.NextSessionAsync()).Pushes;
        Assert.Equal(PushResult.Queued, pushes.TryPush(Push(0)));
        await client.WaitForServerBytesAsync();
        Assert.Equal(PushResult.Queued, pushes.TryPush(Push(1)));
        return pushes;
    }

    /// <summary>A dead-letter channel that is already full.</summary>
    private static Channel<Envelope> FullChannel()
    {
        Channel<Envelope> channel = Channel.CreateBounded<Envelope>(1);
        Assert.True(channel.Writer.TryWrite(Push(500, "already here")));
        return channel;
    }

    [Fact]
    public async Task Frames_a_full_queue_would_drop_go_to_the_dead_letter_queue_and_are_counted_there()
    {
        Channel<Envelope> deadLetters = Channel.CreateUnbounded<Envelope>();
        using var logs = new LogCapture();
        await using var host = Host(deadLetters.Writer, out PushProbe probe, logs);
        using var metrics = new MetricCapture(host.Services);
        await using var client = host.Connect(PausedPipe);
        PushHandle<Envelope> pushes = await FillAsync(client, probe);

        Assert.Equal(PushResult.DeadLettered, pushes.TryPush(Push(2), PushPriority.High, PushFullPolicy.Drop));
        Assert.Equal(PushResult.DeadLettered, pushes.TryPush(Push(3), PushPriority.High, PushFullPolicy.WarnAndDrop));

        Assert.True(deadLetters.Reader.TryRead(out Envelope first));
        Assert.True(deadLetters.Reader.TryRead(out Envelope second));
        Assert.Equal([(2u, "push 2"), (3u, "push 3")], [(first.MessageId, first.PushText()), (second.MessageId, second.PushText())]);
        Assert.False(deadLetters.Reader.TryRead(out _));
        Assert.Equal(2, metrics.Sum(DeadLetters));
        Assert.Equal(0, metrics.Sum(Dropped));

        // Dead-lettered, not sent: the client gets the two queued frames, then whatever is pushed next.
        Assert.Equal([0u, 1u], (await client.ReadFramesAsync(2)).Select(f => f.MessageId));
        Assert.Equal(PushResult.Queued, await pushes.PushAsync(Push(99)).Within());
        Assert.Equal(99u, (await client.NextFrameAsync()).MessageId);
        Assert.Empty(logs.Wireframe(401));
    }

    [Fact]
    public async Task ReturnError_never_dead_letters_the_caller_keeps_the_frame()
    {
        Channel<Envelope> deadLetters = Channel.CreateUnbounded<Envelope>();
        using var logs = new LogCapture();
        await using var host = Host(deadLetters.Writer, out PushProbe probe, logs);
        using var metrics = new MetricCapture(host.Services);
        await using var client = host.Connect(PausedPipe);
        PushHandle<Envelope> pushes = await FillAsync(client, probe);

        Assert.Equal(PushResult.QueueFull, pushes.TryPush(Push(2), PushPriority.High, PushFullPolicy.ReturnError));
        Assert.Equal(PushResult.QueueFull, pushes.TryPush(3, new Notice("typed", 3), PushPriority.High, PushFullPolicy.ReturnError));

        Assert.False(deadLetters.Reader.TryRead(out _));
        Assert.Equal(0, metrics.Sum(DeadLetters));
    }

    [Fact]
    public async Task A_dead_lettered_typed_push_keeps_its_payload_after_more_typed_pushes_reuse_the_pool()
    {
        Channel<Envelope> deadLetters = Channel.CreateUnbounded<Envelope>();
        using var logs = new LogCapture();
        await using var host = Host(deadLetters.Writer, out PushProbe probe, logs);
        await using var client = host.Connect(PausedPipe);
        PushHandle<Envelope> pushes = await FillAsync(client, probe);

        Assert.Equal(PushResult.DeadLettered, pushes.TryPush(7, new Notice("kept for later", 7), PushPriority.High, PushFullPolicy.Drop));

        // Many typed pushes rent, fill and return pooled buffers meanwhile.
        Assert.Equal([0u, 1u], (await client.ReadFramesAsync(2)).Select(f => f.MessageId));
        for (int i = 0; i < 50; i++)
        {
            Assert.Equal(PushResult.Queued, await pushes.PushAsync(8, new Notice(new string('x', 40 + i), i)).Within());
            Assert.Equal(8u, (await client.NextFrameAsync()).MessageId);
        }

        Assert.True(deadLetters.Reader.TryRead(out Envelope lost));
        Assert.Equal((7u, (ulong?)null), (lost.MessageId, lost.CorrelationId));
        Assert.Equal(new Notice("kept for later", 7), JsonSerializer.Deserialize<Notice>(lost.Payload.ToArray()));
    }

    [Fact]
    public async Task When_the_dead_letter_queue_is_full_too_the_frame_is_lost_counted_as_dlq_full_and_logged_as_event_401()
    {
        Channel<Envelope> deadLetters = FullChannel();
        using var logs = new LogCapture();
        await using var host = Host(deadLetters.Writer, out PushProbe probe, logs);
        using var metrics = new MetricCapture(host.Services);
        await using var client = host.Connect(PausedPipe);
        PushHandle<Envelope> pushes = await FillAsync(client, probe);

        Assert.Equal(PushResult.Dropped, pushes.TryPush(Push(2), PushPriority.High, PushFullPolicy.Drop));

        Assert.Equal(1, metrics.Sum(Dropped, DropReason, DropReasons.DeadLetterFull));
        Assert.Equal(1, metrics.Sum(Dropped));
        Assert.Equal(0, metrics.Sum(DeadLetters));
        CapturedLog warning = Assert.Single(logs.Wireframe(401));
        Assert.Equal(LogLevel.Warning, warning.Level);
        Assert.Equal(1L, warning["Count"]);

        // The channel still holds only what it held; the lost frame was not sent either.
        Assert.True(deadLetters.Reader.TryRead(out Envelope held));
        Assert.Equal(500u, held.MessageId);
        Assert.False(deadLetters.Reader.TryRead(out _));
        Assert.Equal([0u, 1u], (await client.ReadFramesAsync(2)).Select(f => f.MessageId));
        Assert.Equal(PushResult.Queued, await pushes.PushAsync(Push(99)).Within());
        Assert.Equal(99u, (await client.NextFrameAsync()).MessageId);
    }

    [Fact]
    public async Task A_completed_dead_letter_queue_loses_frames_like_a_full_one()
    {
        Channel<Envelope> deadLetters = Channel.CreateUnbounded<Envelope>();
        deadLetters.Writer.Complete();
        using var logs = new LogCapture();
        await using var host = Host(deadLetters.Writer, out PushProbe probe, logs);
        using var metrics = new MetricCapture(host.Services);
        await using var client = host.Connect(PausedPipe);
        PushHandle<Envelope> pushes = await FillAsync(client, probe);

        Assert.Equal(PushResult.Dropped, pushes.TryPush(Push(2), PushPriority.High, PushFullPolicy.WarnAndDrop));
        Assert.Equal(PushResult.Dropped, pushes.TryPush(3, new Notice("typed", 3), PushPriority.High, PushFullPolicy.Drop));

        Assert.Equal(2, metrics.Sum(Dropped, DropReason, DropReasons.DeadLetterFull));
        Assert.Equal(2, logs.Wireframe(401).Count);
    }

    [Fact]
    public async Task DeadLetterLogEveryN_writes_one_warning_per_N_lost_frames_each_saying_how_many_it_stands_for()
    {
        using var logs = new LogCapture();
        await using var host = Host(FullChannel().Writer, out PushProbe probe, logs, o => o.DeadLetterLogEveryN = 3);
        using var metrics = new MetricCapture(host.Services);
        await using var client = host.Connect(PausedPipe);
        PushHandle<Envelope> pushes = await FillAsync(client, probe);

        var linesAfterEachLoss = new List<int>();
        for (uint id = 2; id < 9; id++)
        {
            Assert.Equal(PushResult.Dropped, pushes.TryPush(Push(id), PushPriority.High, PushFullPolicy.Drop));
            linesAfterEachLoss.Add(logs.Wireframe(401).Count);
        }

        Assert.Equal([0, 0, 1, 1, 1, 2, 2], linesAfterEachLoss);
        Assert.All(logs.Wireframe(401), line => Assert.Equal(3L, line["Count"]));
        Assert.Equal(7, metrics.Sum(Dropped, DropReason, DropReasons.DeadLetterFull));
    }

    [Fact]
    public async Task DeadLetterLogInterval_allows_at_most_one_warning_per_interval_of_the_apps_clock()
    {
        var interval = TimeSpan.FromMinutes(1);
        using var logs = new LogCapture();
        await using var host = Host(FullChannel().Writer, out PushProbe probe, logs, o => o.DeadLetterLogInterval = interval);
        await using var client = host.Connect(PausedPipe);
        PushHandle<Envelope> pushes = await FillAsync(client, probe);

        Assert.Equal(PushResult.Dropped, pushes.TryPush(Push(2), PushPriority.High, PushFullPolicy.Drop));
        Assert.Equal(PushResult.Dropped, pushes.TryPush(Push(3), PushPriority.High, PushFullPolicy.Drop));
        Assert.Equal(PushResult.Dropped, pushes.TryPush(Push(4), PushPriority.High, PushFullPolicy.Drop));
        Assert.Equal([1L], logs.Wireframe(401).Select(l => (long)l["Count"]!));

        host.Time.Advance(interval - TimeSpan.FromSeconds(1));
        Assert.Equal(PushResult.Dropped, pushes.TryPush(Push(5), PushPriority.High, PushFullPolicy.Drop));
        Assert.Single(logs.Wireframe(401));

        host.Time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(PushResult.Dropped, pushes.TryPush(Push(6), PushPriority.High, PushFullPolicy.Drop));

        // The second line accounts for every loss since the first: 3, 4, 5 and 6.
        Assert.Equal([1L, 4L], logs.Wireframe(401).Select(l => (long)l["Count"]!));
    }
}
