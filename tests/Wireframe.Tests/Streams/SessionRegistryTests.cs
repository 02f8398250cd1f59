using System.Buffers;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Wireframe.Connections;
using Wireframe.Messages;
using Wireframe.Outbound;
using Wireframe.Routing;
using Wireframe.Testing;
using Wireframe.Tests.Support;
using static Wireframe.Tests.Connections.TestKit;
using static Wireframe.Tests.Streams.StreamKit;

namespace Wireframe.Tests.Streams;

public sealed class SessionRegistryTests
{
    private const uint EchoId = 1;
    private const uint HoldId = 2;
    private const uint BigId = 3;
    private const uint NoticeId = 30;

    /// <summary>Members register at setup. Message 2 closes its own connection, then waits for <paramref name="release"/>: a member that is closing but not closed yet.</summary>
    private static WireframeAppBuilder<Envelope> App(SessionRegistry<Envelope> registry, Task? release = null, CountdownSignal? holding = null, bool hello = true)
    {
        var app = WireframeApp.CreateBuilder().WithProtocol(new RegisteringProtocol(registry, hello));
        app.Route<byte[], byte[]>(EchoId, (request, _) => request);
        app.Route<byte[]>(HoldId, async (_, ctx) =>
        {
            ctx.Connection.Close();
            holding?.Signal();
            await (release ?? Task.CompletedTask);
        });
        app.Route<byte[], byte[]>(BigId, (_, _) => new byte[64 * 1024]);
        return app;
    }

    private static async Task<(TestConnection<Envelope> Client, ConnectionId Id)> JoinAsync(WireframeTestHost<Envelope> host)
    {
        TestConnection<Envelope> client = host.Connect();
        return (client, RegisteringProtocol.ReadHello(await client.NextFrameAsync()));
    }

    private static Envelope Announcement(string text) => new(PushId, null, Utf8(text).AsMemory());

    [Fact]
    public async Task Connections_registered_at_setup_are_found_by_id_and_can_be_pushed_to()
    {
        var registry = new SessionRegistry<Envelope>();
        await using var host = WireframeTest.CreateHost(App(registry));
        (TestConnection<Envelope> alice, ConnectionId aliceId) = await JoinAsync(host);
        (TestConnection<Envelope> bob, ConnectionId bobId) = await JoinAsync(host);
        await using (alice)
        await using (bob)
        {
            Assert.Equal(2, registry.Count);
            Assert.True(registry.TryGet(bobId, out PushHandle<Envelope> toBob));
            Assert.Equal(bobId, toBob.ConnectionId);
            Assert.True(toBob.IsConnected);
            Assert.False(registry.TryGet(new ConnectionId(long.MaxValue), out PushHandle<Envelope> nobody));
            Assert.Equal(default, nobody);

            Assert.Equal(PushResult.Queued, await toBob.PushAsync(Announcement("for bob")));
            Assert.Equal("for bob", (await bob.NextFrameAsync()).Text());

            // Alice got nothing: her next frame is the answer to her own request.
            await alice.SendFrameAsync(Frame(EchoId, "mine", 1));
            Assert.Equal("mine", (await alice.NextFrameAsync()).Text());
            Assert.Equal([aliceId.Value, bobId.Value], registry.ActiveHandles().Select(h => h.ConnectionId.Value).Order());
        }
    }

    [Fact]
    public async Task A_closed_connection_leaves_the_registry_by_itself_and_its_old_handle_reports_Closed()
    {
        var registry = new SessionRegistry<Envelope>();
        await using var host = WireframeTest.CreateHost(App(registry));
        (TestConnection<Envelope> alice, ConnectionId aliceId) = await JoinAsync(host);
        (TestConnection<Envelope> bob, ConnectionId bobId) = await JoinAsync(host);
        await using (bob)
        {
            Assert.True(registry.TryGet(aliceId, out PushHandle<Envelope> toAlice));

            await alice.AssertNothingMoreThenCleanCloseAsync();
            await alice.DisposeAsync();

            Assert.Equal(1, registry.Count);
            Assert.False(registry.TryGet(aliceId, out _));
            Assert.Equal([bobId], registry.ActiveHandles().Select(h => h.ConnectionId));
            Assert.False(toAlice.IsConnected);
            Assert.Equal(PushResult.Closed, toAlice.TryPush(Announcement("too late")));
            Assert.Equal(PushResult.Closed, await toAlice.PushAsync(Announcement("too late")));
            Assert.False(registry.Register(toAlice));
            Assert.False(registry.Register(default));
            Assert.Equal(1, registry.Count);

            Assert.True(registry.Remove(bobId));
            Assert.False(registry.Remove(bobId));
            Assert.Equal(0, registry.Count);
            Assert.Empty(registry.ActiveHandles());
        }
    }

    [Fact]
    public async Task Entries_of_connections_that_are_closing_are_skipped_and_dropped_by_TryGet_ActiveHandles_and_Prune()
    {
        var registry = new SessionRegistry<Envelope>();
        var release = NewSignal();
        var holding = new CountdownSignal(3);
        await using var host = WireframeTest.CreateHost(App(registry, release.Task, holding));
        (TestConnection<Envelope> a, ConnectionId aId) = await JoinAsync(host);
        (TestConnection<Envelope> b, _) = await JoinAsync(host);
        (TestConnection<Envelope> c, _) = await JoinAsync(host);
        (TestConnection<Envelope> live, ConnectionId liveId) = await JoinAsync(host);
        await using (a)
        await using (b)
        await using (c)
        await using (live)
        {
            foreach (TestConnection<Envelope> closing in new[] { a, b, c })
            {
                await closing.SendFrameAsync(Frame(HoldId, "", 1));
            }

            await holding.Task.Within();
            Assert.Equal(4, registry.Count);

            Assert.False(registry.TryGet(aId, out _));
            Assert.Equal(3, registry.Count);
            Assert.Equal(2, registry.Prune());
            Assert.Equal(1, registry.Count);
            Assert.Equal([liveId], registry.ActiveHandles().Select(h => h.ConnectionId));
            Assert.Equal(1, registry.Broadcast(Announcement("only the live one")).Queued);
            Assert.Equal("only the live one", (await live.NextFrameAsync()).Text());

            release.SetResult();
            foreach (TestConnection<Envelope> closing in new[] { a, b, c })
            {
                Assert.Equal(DisconnectReason.ClosedByApplication, (await closing.ClosedAsync()).Reason);
            }

            Assert.Equal(1, registry.Count);
        }
    }

    [Fact]
    public async Task Broadcast_queues_one_frame_on_every_live_member_or_on_those_the_filter_accepts()
    {
        var registry = new SessionRegistry<Envelope>();
        await using var host = WireframeTest.CreateHost(App(registry));
        var members = new List<(TestConnection<Envelope> Client, ConnectionId Id)>();
        for (int i = 0; i < 3; i++)
        {
            members.Add(await JoinAsync(host));
        }

        try
        {
            BroadcastResult everyone = registry.Broadcast(Announcement("to all"));
            Assert.Equal(new BroadcastResult(Queued: 3, QueueFull: 0, Dropped: 0, DeadLettered: 0, RateLimited: 0, Closed: 0), everyone);
            foreach ((TestConnection<Envelope> client, _) in members)
            {
                Envelope frame = await client.NextFrameAsync();
                Assert.Equal((PushId, (ulong?)null, "to all"), (frame.MessageId, frame.CorrelationId, frame.Text()));
            }

            ConnectionId sender = members[0].Id;
            BroadcastResult others = registry.Broadcast(Announcement("not to the sender"), PushPriority.High, PushFullPolicy.ReturnError, filter: id => id != sender);
            Assert.Equal(2, others.Queued);
            foreach ((TestConnection<Envelope> client, _) in members.Skip(1))
            {
                Assert.Equal("not to the sender", (await client.NextFrameAsync()).Text());
            }

            // The sender got nothing: the next frame it sees answers its own request.
            await members[0].Client.SendFrameAsync(Frame(EchoId, "mine", 1));
            Assert.Equal("mine", (await members[0].Client.NextFrameAsync()).Text());
        }
        finally
        {
            foreach ((TestConnection<Envelope> client, _) in members)
            {
                await client.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task Broadcast_counts_a_member_that_is_closing_as_Closed()
    {
        var registry = new SessionRegistry<Envelope>();
        var release = NewSignal();
        var holding = new CountdownSignal(1);
        await using var host = WireframeTest.CreateHost(App(registry, release.Task, holding));
        (TestConnection<Envelope> leaving, _) = await JoinAsync(host);
        (TestConnection<Envelope> staying, _) = await JoinAsync(host);
        await using (leaving)
        await using (staying)
        {
            await leaving.SendFrameAsync(Frame(HoldId, "", 1));
            await holding.Task.Within();

            BroadcastResult result = registry.Broadcast(Announcement("who is still here?"));
            release.SetResult();

            // BroadcastResult.Closed: "connections that closed before the frame reached them".
            Assert.Equal(new BroadcastResult(Queued: 1, QueueFull: 0, Dropped: 0, DeadLettered: 0, RateLimited: 0, Closed: 1), result);
        }
    }

    /// <summary>Members whose writer is stuck on a client that reads nothing: their push queues cannot drain.</summary>
    private static async Task<WatchedClient[]> StuckMembersAsync(WireframeTestHost<Envelope> host, int count)
    {
        var clients = new WatchedClient[count];
        for (int i = 0; i < count; i++)
        {
            clients[i] = new WatchedClient(host, TinyPipes());
            await clients[i].SendAsync(BigId, Array.Empty<byte>(), correlationId: 1);
            await clients[i].FlushBlocked.Within();
        }

        return clients;
    }

    [Fact]
    public async Task Broadcast_applies_the_policy_to_each_member_whose_queue_is_full_and_counts_the_outcomes()
    {
        var registry = new SessionRegistry<Envelope>();
        using var logs = new LogCapture();
        WireframeAppBuilder<Envelope> app = App(registry, hello: false).Configure(o => o.LowPriorityPushCapacity = 1);
        await using var host = Host(app, logs);
        WatchedClient[] stuck = await StuckMembersAsync(host, 2);
        try
        {
            Assert.Equal(2, registry.Broadcast(Announcement("fills the queues"), PushPriority.Low, PushFullPolicy.Drop).Queued);
            Assert.Equal(2, registry.Broadcast(Announcement("kept by the caller"), PushPriority.Low, PushFullPolicy.ReturnError).QueueFull);
            Assert.Equal(2, registry.Broadcast(Announcement("dropped"), PushPriority.Low, PushFullPolicy.Drop).Dropped);
            Assert.Empty(logs.Wireframe(400));
            Assert.Equal(2, registry.Broadcast(Announcement("dropped loudly"), PushPriority.Low, PushFullPolicy.WarnAndDrop).Dropped);
            Assert.Equal(2, logs.Wireframe(400).Count);

            // The high-priority queue is separate.
            Assert.Equal(2, registry.Broadcast(Announcement("urgent"), PushPriority.High, PushFullPolicy.ReturnError).Queued);
        }
        finally
        {
            foreach (WatchedClient client in stuck)
            {
                await client.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task Broadcast_counts_members_whose_full_queue_sent_the_frame_to_the_dead_letter_queue()
    {
        var registry = new SessionRegistry<Envelope>();
        var deadLetters = Channel.CreateBounded<Envelope>(10);
        WireframeAppBuilder<Envelope> app = App(registry, hello: false)
            .Configure(o => o.LowPriorityPushCapacity = 1)
            .UseDeadLetterQueue(deadLetters.Writer);
        await using var host = WireframeTest.CreateHost(app);
        WatchedClient[] stuck = await StuckMembersAsync(host, 2);
        try
        {
            Assert.Equal(2, registry.Broadcast(Announcement("fills the queues")).Queued);
            Assert.Equal(new BroadcastResult(Queued: 0, QueueFull: 0, Dropped: 0, DeadLettered: 2, RateLimited: 0, Closed: 0), registry.Broadcast(Announcement("lost letter")));
            Assert.Equal(2, deadLetters.Reader.Count);
            Assert.True(deadLetters.Reader.TryRead(out Envelope letter));
            Assert.Equal("lost letter", letter.Text());
        }
        finally
        {
            foreach (WatchedClient client in stuck)
            {
                await client.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task Broadcast_counts_members_whose_push_rate_limit_has_no_permit()
    {
        var registry = new SessionRegistry<Envelope>();
        WireframeAppBuilder<Envelope> app = App(registry, hello: false)
            .Configure(o => o.PushRateLimit = new PushRateLimit(PermitsPerPeriod: 1, Period: TimeSpan.FromSeconds(1), Burst: 1));
        await using var host = WireframeTest.CreateHost(app);
        await using var alice = host.Connect();
        await using var bob = host.Connect();

        Assert.Equal(2, registry.Broadcast(Announcement("first")).Queued);
        Assert.Equal(new BroadcastResult(Queued: 0, QueueFull: 0, Dropped: 0, DeadLettered: 0, RateLimited: 2, Closed: 0), registry.Broadcast(Announcement("too soon")));
        Assert.Equal("first", (await alice.NextFrameAsync()).Text());
        Assert.Equal("first", (await bob.NextFrameAsync()).Text());
    }

    [Fact]
    public async Task A_rate_limited_broadcast_goes_through_again_once_the_applications_clock_has_refilled_the_buckets()
    {
        var registry = new SessionRegistry<Envelope>();
        WireframeAppBuilder<Envelope> app = App(registry, hello: false)
            .Configure(o => o.PushRateLimit = new PushRateLimit(PermitsPerPeriod: 1, Period: TimeSpan.FromSeconds(1), Burst: 1));
        await using var host = WireframeTest.CreateHost(app);
        await using var alice = host.Connect();
        await using var bob = host.Connect();
        Assert.Equal(2, registry.Broadcast(Announcement("first")).Queued);
        Assert.Equal(2, registry.Broadcast(Announcement("too soon")).RateLimited);

        // pushes.md: buckets are refilled by one timer per application, on its TimeProvider (the test host's manual clock).
        host.Time.Advance(TimeSpan.FromSeconds(1));

        Assert.Equal(2, registry.Broadcast(Announcement("a second later")).Queued);
        Assert.Equal("first", (await alice.NextFrameAsync()).Text());
        Assert.Equal("a second later", (await alice.NextFrameAsync()).Text());
        Assert.Equal("first", (await bob.NextFrameAsync()).Text());
        Assert.Equal("a second later", (await bob.NextFrameAsync()).Text());
    }

    [Fact]
    public async Task A_typed_broadcast_serializes_the_message_once_for_all_members()
    {
        const int Members = 5;
        var registry = new SessionRegistry<Envelope>();
        var serializer = new CountingSerializer();
        WireframeAppBuilder<Envelope> app = App(registry).UseSerializer(serializer);
        await using var host = WireframeTest.CreateHost(app);
        var clients = new List<TestConnection<Envelope>>();
        for (int i = 0; i < Members; i++)
        {
            clients.Add((await JoinAsync(host)).Client);
        }

        try
        {
            BroadcastResult result = registry.Broadcast(host.Application, NoticeId, new Notice("hello, everyone"));

            Assert.Equal(Members, result.Queued);
            Assert.Equal(1, serializer.Serialized);
            foreach (TestConnection<Envelope> client in clients)
            {
                Envelope frame = await client.NextFrameAsync();
                Assert.Equal((NoticeId, (ulong?)null), (frame.MessageId, frame.CorrelationId));
                Assert.Equal(new Notice("hello, everyone"), host.Application.GetFormatter<Notice>().Deserialize(frame.Payload));
            }

            Assert.Equal(1, serializer.Serialized);
        }
        finally
        {
            foreach (TestConnection<Envelope> client in clients)
            {
                await client.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task Neither_the_registry_nor_a_kept_handle_keeps_a_closed_connection_alive()
    {
        var registry = new SessionRegistry<Envelope>();
        var seen = new List<WeakReference>();
        var app = WireframeApp.CreateBuilder()
            .WithProtocol(new RegisteringProtocol(registry, hello: false))
            .OnConnected(connection =>
            {
                lock (seen)
                {
                    seen.Add(new WeakReference(connection));
                }

                return ValueTask.CompletedTask;
            });
        app.Route<byte[], byte[]>(EchoId, (request, _) => request);
        await using var host = WireframeTest.CreateHost(app);

        PushHandle<Envelope> kept = await ConnectTalkAndLeaveAsync(host, registry);

        Assert.Equal(0, registry.Count);
        Assert.False(kept.IsConnected);
        WeakReference connection = Assert.Single(seen);
        for (int attempt = 0; attempt < 10 && connection.IsAlive; attempt++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }

        Assert.False(connection.IsAlive, "The closed connection is still reachable.");
        GC.KeepAlive(registry);
        Assert.Equal(PushResult.Closed, kept.TryPush(Announcement("gone")));
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static async Task<PushHandle<Envelope>> ConnectTalkAndLeaveAsync(WireframeTestHost<Envelope> host, SessionRegistry<Envelope> registry)
    {
        TestConnection<Envelope> client = host.Connect();
        await client.SendFrameAsync(Frame(EchoId, "hello", 1));
        Assert.Equal("hello", (await client.NextFrameAsync()).Text());
        PushHandle<Envelope> handle = Assert.Single(registry.ActiveHandles());
        await client.AssertNothingMoreThenCleanCloseAsync();
        await client.DisposeAsync();
        return handle;
    }
}
