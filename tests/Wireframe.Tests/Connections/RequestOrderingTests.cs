using Wireframe.Messages;
using Wireframe.Testing;
using static Wireframe.Tests.Connections.TestKit;

namespace Wireframe.Tests.Connections;

public sealed class RequestOrderingTests
{
    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    [Fact]
    public async Task By_default_a_blocked_handler_holds_back_the_next_request_and_responses_keep_arrival_order()
    {
        TaskCompletionSource firstStarted = NewSignal(), releaseFirst = NewSignal(), secondStarted = NewSignal();
        bool secondHadStartedWhenFirstResumed = true;
        int running = 0, maxRunning = 0;
        var app = WireframeApp.CreateBuilder();
        app.Route<byte[], byte[]>(1, async (request, _) =>
        {
            Track(ref running, ref maxRunning);
            firstStarted.SetResult();
            await releaseFirst.Task;
            secondHadStartedWhenFirstResumed = secondStarted.Task.IsCompleted;
            Untrack(ref running);
            return Utf8("first");
        });
        app.Route<byte[], byte[]>(2, (request, _) =>
        {
            Track(ref running, ref maxRunning);
            secondStarted.SetResult();
            Untrack(ref running);
            return Utf8("second");
        });
        await using var host = WireframeTest.CreateHost(app);
        await using var client = host.Connect();

        await client.SendFrameAsync(Frame(1, "", 1));
        await client.SendFrameAsync(Frame(2, "", 2));
        await firstStarted.Task.Within();
        Assert.False(secondStarted.Task.IsCompleted);
        releaseFirst.SetResult();

        Envelope first = await client.NextFrameAsync();
        Envelope second = await client.NextFrameAsync();
        Assert.Equal(((ulong?)1, "first"), (first.CorrelationId, first.Text()));
        Assert.Equal(((ulong?)2, "second"), (second.CorrelationId, second.Text()));
        Assert.False(secondHadStartedWhenFirstResumed);
        Assert.Equal(1, maxRunning);
    }

    [Fact]
    public async Task With_two_concurrent_requests_a_second_request_is_answered_while_the_first_is_blocked()
    {
        TaskCompletionSource releaseFirst = NewSignal();
        var app = WireframeApp.CreateBuilder().Configure(o => o.MaxConcurrentRequestsPerConnection = 2);
        app.Route<byte[], byte[]>(1, async (request, ctx) =>
        {
            await releaseFirst.Task;
            return Utf8($"slow {ctx.CorrelationId}");
        });
        app.Route<byte[], byte[]>(2, (request, ctx) => Utf8($"fast {ctx.CorrelationId}"));
        await using var host = WireframeTest.CreateHost(app);
        await using var client = host.Connect();

        await client.SendFrameAsync(Frame(1, "", 10));
        await client.SendFrameAsync(Frame(2, "", 20));

        // The fast response overtakes the blocked one: proof that the second request ran meanwhile.
        Envelope fast = await client.NextFrameAsync();
        Assert.Equal(((ulong?)20, "fast 20"), (fast.CorrelationId, fast.Text()));
        releaseFirst.SetResult();
        Envelope slow = await client.NextFrameAsync();
        Assert.Equal(((ulong?)10, "slow 10"), (slow.CorrelationId, slow.Text()));
        await client.AssertNothingMoreThenCleanCloseAsync();
    }

    [Fact]
    public async Task The_concurrency_limit_queues_requests_beyond_it_until_a_slot_frees()
    {
        var gates = new Dictionary<string, TaskCompletionSource> { ["a"] = NewSignal(), ["b"] = NewSignal() };
        var started = new Dictionary<string, TaskCompletionSource> { ["a"] = NewSignal(), ["b"] = NewSignal(), ["c"] = NewSignal() };
        int running = 0, maxRunning = 0;
        var app = WireframeApp.CreateBuilder().Configure(o => o.MaxConcurrentRequestsPerConnection = 2);
        app.Route<byte[], byte[]>(1, async (request, ctx) =>
        {
            string name = System.Text.Encoding.UTF8.GetString(request);
            Track(ref running, ref maxRunning);
            started[name].SetResult();
            if (gates.TryGetValue(name, out TaskCompletionSource? gate))
            {
                await gate.Task;
            }

            Untrack(ref running);
            return request;
        });
        await using var host = WireframeTest.CreateHost(app);
        await using var client = host.Connect();

        await client.SendFrameAsync(Frame(1, "a", 1));
        await client.SendFrameAsync(Frame(1, "b", 2));
        await client.SendFrameAsync(Frame(1, "c", 3));
        await Task.WhenAll(started["a"].Task, started["b"].Task).Within();
        Assert.False(started["c"].Task.IsCompleted);

        gates["a"].SetResult();
        Assert.Equal("a", (await client.NextFrameAsync()).Text());
        Assert.Equal("c", (await client.NextFrameAsync()).Text());
        gates["b"].SetResult();
        Assert.Equal("b", (await client.NextFrameAsync()).Text());
        await client.AssertNothingMoreThenCleanCloseAsync();
        Assert.Equal(2, maxRunning);
    }

    [Fact]
    public async Task Concurrent_requests_each_see_their_own_message_and_correlation_id()
    {
        var app = WireframeApp.CreateBuilder().Configure(o => o.MaxConcurrentRequestsPerConnection = 8);
        app.Route<byte[], byte[]>(1, async (request, ctx) =>
        {
            ulong? before = ctx.CorrelationId;
            await Task.Yield();
            return Utf8($"{before}/{ctx.CorrelationId}/{System.Text.Encoding.UTF8.GetString(request)}");
        });
        await using var host = WireframeTest.CreateHost(app);
        await using var client = host.Connect();

        byte[] burst = Enumerable.Range(0, 50).SelectMany(i => EnvelopeBytes(1, $"m{i}", (ulong)i)).ToArray();
        await client.SendRawAsync(burst);

        var answers = new Dictionary<ulong, string>();
        for (int i = 0; i < 50; i++)
        {
            Envelope answer = await client.NextFrameAsync();
            answers.Add(answer.CorrelationId!.Value, answer.Text());
        }

        Assert.All(answers, kv => Assert.Equal($"{kv.Key}/{kv.Key}/m{kv.Key}", kv.Value));
        await client.AssertNothingMoreThenCleanCloseAsync();
    }

    private static readonly Lock TrackLock = new();

    private static void Untrack(ref int running)
    {
        lock (TrackLock)
        {
            running--;
        }
    }

    private static void Track(ref int running, ref int maxRunning)
    {
        lock (TrackLock)
        {
            running++;
            maxRunning = Math.Max(maxRunning, running);
        }
    }
}
