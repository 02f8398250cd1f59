using System.Runtime.CompilerServices;
using Wireframe.Connections;
using Wireframe.Messages;
using Wireframe.Outbound;
using Wireframe.Testing;
using Wireframe.Tests.Support;
using static Wireframe.Tests.Connections.TestKit;
using static Wireframe.Tests.Outbound.PushKit;

namespace Wireframe.Tests.Outbound;

/// <summary>Pushes to a closing or closed connection return <see cref="PushResult.Closed"/>, are counted, and never throw.</summary>
public sealed class PushClosedTests
{
    private const string Dropped = "wireframe.server.frames_dropped";
    private const string DropReason = "wireframe.drop_reason";

    /// <summary>Every way to push, each returning its result (async ones awaited).</summary>
    private static async Task<PushResult[]> PushEveryWayAsync(PushHandle<Envelope> pushes) =>
    [
        await pushes.PushAsync(Frame(1, "raw async")).Within(),
        pushes.TryPush(Frame(2, "raw try"), PushPriority.Low, PushFullPolicy.Drop),
        await pushes.PushAsync(3, new Notice("typed async", 3), PushPriority.Low).Within(),
        pushes.TryPush(4, new Notice("typed try", 4), PushPriority.High, PushFullPolicy.WarnAndDrop),
    ];

    [Fact]
    public async Task After_the_peer_left_every_kind_of_push_returns_Closed_and_IsConnected_is_false()
    {
        await using var host = WireframeTest.CreateHost(CreateApp(out PushProbe probe));
        await using var client = host.Connect();
        PushHandle<Envelope> pushes = (await probe.NextSessionAsync()).Pushes;
        Assert.True(pushes.IsConnected);

        await client.CompleteAsync();
        Assert.Equal(DisconnectReason.PeerClosed, (await client.ClosedAsync()).Reason);

        Assert.False(pushes.IsConnected);
        Assert.All(await PushEveryWayAsync(pushes), r => Assert.Equal(PushResult.Closed, r));
        Assert.Empty(await client.ReadToEndAsync().Within());
    }

    /// <summary>A typed push to a closed connection is refused before it is serialized, and still counted.</summary>
    [Fact]
    public async Task Pushes_to_a_closed_connection_are_counted_as_dropped_closed_raw_and_typed_alike()
    {
        await using var host = WireframeTest.CreateHost(CreateApp(out PushProbe probe));
        using var metrics = new MetricCapture(host.Services);
        await using var client = host.Connect();
        PushHandle<Envelope> pushes = (await probe.NextSessionAsync()).Pushes;
        await client.CompleteAsync();
        await client.ClosedAsync();

        await PushEveryWayAsync(pushes);

        Assert.Equal(4, metrics.Sum(Dropped, DropReason, DropReasons.Closed));
    }

    [Fact]
    public async Task Pushes_after_the_application_asked_the_connection_to_close_return_Closed_at_once()
    {
        await using var host = WireframeTest.CreateHost(CreateApp(out PushProbe probe));
        await using var client = host.Connect();
        PushSession session = await probe.NextSessionAsync();

        session.Connection.Close();

        Assert.False(session.Pushes.IsConnected);
        Assert.All(await PushEveryWayAsync(session.Pushes), r => Assert.Equal(PushResult.Closed, r));
        Assert.Equal(DisconnectReason.ClosedByApplication, (await client.ClosedAsync()).Reason);
        Assert.Empty(await client.ReadToEndAsync().Within());
    }

    [Fact]
    public async Task A_push_waiting_for_room_returns_Closed_on_close_and_frames_already_queued_are_still_delivered()
    {
        await using var host = WireframeTest.CreateHost(CreateApp(out PushProbe probe, o => o.HighPriorityPushCapacity = 1));
        await using var client = host.Connect(PausedPipe);
        PushSession session = await probe.NextSessionAsync();

        // Frame 0 holds the writer (the client is not reading yet); frame 1 fills the queue; frame 2 waits for room.
        Assert.Equal(PushResult.Queued, session.Pushes.TryPush(Push(0)));
        await client.WaitForServerBytesAsync();
        Assert.Equal(PushResult.Queued, session.Pushes.TryPush(Push(1)));
        ValueTask<PushResult> waiting = session.Pushes.PushAsync(Push(2));
        Assert.False(waiting.IsCompleted);

        session.Connection.Close();

        Assert.Equal(PushResult.Closed, await waiting.Within());
        Assert.Equal([0u, 1u], (await client.ReadFramesAsync(2)).Select(f => f.MessageId));
        Assert.Empty(await client.ReadToEndAsync().Within());
        Assert.Equal(DisconnectReason.ClosedByApplication, (await client.ClosedAsync()).Reason);
    }

    [Fact]
    public async Task The_default_handle_pushes_nowhere_and_says_so()
    {
        PushHandle<Envelope> nowhere = default;

        Assert.False(nowhere.IsConnected);
        Assert.Equal(default, nowhere.ConnectionId);
        Assert.All(await PushEveryWayAsync(nowhere), r => Assert.Equal(PushResult.Closed, r));
    }

    [Fact]
    public async Task A_push_handle_kept_after_close_does_not_keep_the_connection_alive()
    {
        var setup = new WeakHandleProtocol();
        var app = WireframeApp.CreateBuilder().UseJson().WithProtocol(setup);
        await using var host = WireframeTest.CreateHost(app);
        await using var client = host.Connect();
        PushHandle<Envelope> handle = await setup.Handle.Task.Within();

        await client.CompleteAsync();
        await client.ClosedAsync();
        CollectEverything();

        Assert.False(setup.Connection!.TryGetTarget(out _), "The closed connection is still reachable.");
        Assert.Equal(PushResult.Closed, handle.TryPush(Frame(1, "late")));
        GC.KeepAlive(handle);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void CollectEverything()
    {
        for (int i = 0; i < 3; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }
    }

    /// <summary>Keeps each connection's push handle, and only a weak reference to the connection.</summary>
    private sealed class WeakHandleProtocol : IWireframeProtocol<Envelope>
    {
        public TaskCompletionSource<PushHandle<Envelope>> Handle { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public WeakReference<WireframeConnection<Envelope>>? Connection { get; private set; }

        public ValueTask OnConnectionSetupAsync(PushHandle<Envelope> pushes, WireframeConnection<Envelope> connection)
        {
            Connection = new WeakReference<WireframeConnection<Envelope>>(connection);
            Handle.TrySetResult(pushes);
            return ValueTask.CompletedTask;
        }
    }
}
