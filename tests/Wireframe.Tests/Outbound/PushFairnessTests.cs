using Wireframe.Messages;
using Wireframe.Outbound;
using Wireframe.Routing;
using Wireframe.Testing;
using static Wireframe.Tests.Connections.TestKit;
using static Wireframe.Tests.Outbound.PushKit;

namespace Wireframe.Tests.Outbound;

/// <summary>
/// The fairness budget: after <see cref="WireframeOptions.MaxHighPriorityBurst"/> high-priority frames (or
/// <see cref="WireframeOptions.HighPriorityTimeSlice"/> of them) a waiting low-priority push or response gets a turn.
/// </summary>
/// <remarks>
/// Each test first pushes a low-priority "plug" (id 0) that takes the writer and stays in its flush
/// (the client does not read yet), builds a backlog behind it, then reads: the order on the wire is
/// the writer's decision alone. High-priority frames have ids 1–99, low-priority ones 200+.
/// </remarks>
public sealed class PushFairnessTests
{
    private const uint Plug = 0;

    /// <summary>Pushes the plug and waits until it holds the writer.</summary>
    private static async Task<PushSession> PlugAsync(TestConnection<Envelope> client, PushProbe probe)
    {
        PushSession session = await probe.NextSessionAsync();
        Assert.Equal(PushResult.Queued, session.Pushes.TryPush(Push(Plug), PushPriority.Low));
        await client.WaitForServerBytesAsync();
        return session;
    }

    private static void Queue(PushHandle<Envelope> pushes, params uint[] ids)
    {
        foreach (uint id in ids)
        {
            Assert.Equal(PushResult.Queued, pushes.TryPush(Push(id), id < 200 ? PushPriority.High : PushPriority.Low));
        }
    }

    [Fact]
    public async Task After_MaxHighPriorityBurst_high_frames_a_waiting_low_frame_gets_one_turn()
    {
        await using var host = WireframeTest.CreateHost(CreateApp(out PushProbe probe, o => o.MaxHighPriorityBurst = 3));
        await using var client = host.Connect(PausedPipe);
        PushSession session = await PlugAsync(client, probe);

        Queue(session.Pushes, 1, 2, 3, 4, 5, 6, 7);
        Queue(session.Pushes, 201, 202, 203);

        List<Envelope> frames = await client.ReadFramesAsync(11);

        Assert.Equal([Plug, 1u, 2u, 3u, 201u, 4u, 5u, 6u, 202u, 7u, 203u], frames.Select(f => f.MessageId));
    }

    [Fact]
    public async Task MaxHighPriorityBurst_zero_disables_fairness_and_every_high_frame_goes_first()
    {
        await using var host = WireframeTest.CreateHost(CreateApp(out PushProbe probe, o => o.MaxHighPriorityBurst = 0));
        await using var client = host.Connect(PausedPipe);
        PushSession session = await PlugAsync(client, probe);

        uint[] high = Enumerable.Range(1, 40).Select(i => (uint)i).ToArray();
        Queue(session.Pushes, 201, 202);
        Queue(session.Pushes, high);
        Queue(session.Pushes, 203);

        List<Envelope> frames = await client.ReadFramesAsync(44);

        Assert.Equal([Plug, .. high, 201u, 202u, 203u], frames.Select(f => f.MessageId));
    }

    [Fact]
    public async Task HighPriorityTimeSlice_gives_a_low_frame_its_turn_once_high_frames_held_the_writer_that_long_on_the_apps_clock()
    {
        var slice = TimeSpan.FromSeconds(10);
        var app = CreateApp(out PushProbe probe, o =>
        {
            o.MaxHighPriorityBurst = 0;
            o.HighPriorityTimeSlice = slice;
        });
        await using var host = WireframeTest.CreateHost(app);

        // Time passes only while frame 3 is being written: the streak of 1, 2, 3 has then used up its slice.
        probe.BeforeSendHook = frame =>
        {
            if (frame.MessageId == 3)
            {
                host.Time.Advance(slice);
            }

            return frame;
        };
        await using var client = host.Connect(PausedPipe);
        PushSession session = await PlugAsync(client, probe);

        Queue(session.Pushes, 1, 2, 3, 4, 5, 6);
        Queue(session.Pushes, 201, 202);

        List<Envelope> frames = await client.ReadFramesAsync(9);

        Assert.Equal([Plug, 1u, 2u, 3u, 201u, 4u, 5u, 6u, 202u], frames.Select(f => f.MessageId));
    }

    [Fact]
    public async Task A_response_waiting_for_the_writer_gets_its_turn_after_one_burst_of_high_frames()
    {
        const int Burst = 4;
        var responseWaited = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        var app = CreateApp(out PushProbe probe, o => o.MaxHighPriorityBurst = Burst);
        app.Route<byte[]>(1, (_, ctx) => ReplyAndReportAsync(ctx, responseWaited));
        await using var host = WireframeTest.CreateHost(app);
        await using var client = host.Connect(PausedPipe);
        PushSession session = await PlugAsync(client, probe);

        Queue(session.Pushes, Enumerable.Range(1, 3 * Burst).Select(i => (uint)i).ToArray());
        await client.SendFrameAsync(Frame(1, "request", 77));
        Assert.True(await responseWaited.Task.Within(), "The response should have had to wait for the writer.");

        int highBeforeResponse = await CountHighFramesBeforeResponseAsync(client, 77);

        Assert.Equal(Burst, highBeforeResponse);
    }

    /// <summary>
    /// The response starts waiting while the push work item is in the middle of a drain (it flushes
    /// after every frame here, as it does with large frames). Expected: at most one burst of high
    /// frames goes before the response: the work item keeps its streak spent when it steps aside,
    /// so the response's own write does not drain a second burst first (a regression test).
    /// </summary>
    [Fact]
    public async Task A_response_waiting_while_pushes_are_being_drained_waits_behind_at_most_one_burst()
    {
        const int Burst = 4;
        var responseWaited = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        var app = CreateApp(out PushProbe probe, o =>
        {
            o.MaxHighPriorityBurst = Burst;
            o.MaxUnflushedBytes = 1;
        });
        app.Route<byte[]>(1, (_, ctx) => ReplyAndReportAsync(ctx, responseWaited));
        await using var host = WireframeTest.CreateHost(app);
        await using var client = host.Connect(PausedPipe);
        PushSession session = await PlugAsync(client, probe);

        Queue(session.Pushes, Enumerable.Range(1, 3 * Burst).Select(i => (uint)i).ToArray());
        await client.SendFrameAsync(Frame(1, "request", 77));
        Assert.True(await responseWaited.Task.Within(), "The response should have had to wait for the writer.");

        int highBeforeResponse = await CountHighFramesBeforeResponseAsync(client, 77);

        Assert.True(highBeforeResponse <= Burst, $"{highBeforeResponse} high-priority frames went out while the response waited; MaxHighPriorityBurst is {Burst}.");
    }

    /// <summary>Replies through the writer and reports whether the reply had to wait for it.</summary>
    private static async ValueTask ReplyAndReportAsync(RequestContext context, TaskCompletionSource<bool> waited)
    {
        var typed = (RequestContext<Envelope>)context;
        ValueTask<bool> write = typed.ReplyAsync(Frame(1, "response", context.CorrelationId));
        waited.TrySetResult(!write.IsCompleted);
        Assert.True(await write);
    }

    /// <summary>Reads up to the response with <paramref name="correlationId"/>, counting the high-priority pushes before it, then the rest.</summary>
    private static async Task<int> CountHighFramesBeforeResponseAsync(TestConnection<Envelope> client, ulong correlationId)
    {
        Assert.Equal(Plug, (await client.NextFrameAsync()).MessageId);
        int high = 0;
        for (int i = 0; i < 100; i++)
        {
            Envelope frame = await client.NextFrameAsync();
            if (frame.CorrelationId == correlationId)
            {
                return high;
            }

            Assert.InRange(frame.MessageId, 1u, 99u);
            high++;
        }

        Assert.Fail("No response.");
        return high;
    }
}
