using System.Buffers;
using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Wireframe.Client;
using Wireframe.Examples.Echo;
using Wireframe.Messages;
using Wireframe.Routing;
using Wireframe.Testing;
using Wireframe.Tests.Connections;
using Wireframe.Tests.Support;

namespace Wireframe.Tests.Client;

/// <summary>The pool against real servers over TCP: reconnecting after a restart, round-robin, the admission budget and its line, idle recycling.</summary>
public sealed class ClientPoolTests
{
    private static readonly TimeSpan Safety = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task After_a_server_restart_the_pool_reconnects_and_runs_the_preamble_and_setup_hook_again()
    {
        int preambles = 0;
        WireframeAppBuilder<Envelope> App()
        {
            WireframeAppBuilder<Envelope> app = EchoApp.CreateRouted().Configure(options => options.ShutdownDrainTimeout = TimeSpan.Zero);
            app.Route<ReadOnlySequence<byte>, byte[]>(9, async (_, _) => await new TaskCompletionSource<byte[]>().Task);
            app.UsePreamble(new LinePreambleReader(), onSuccess: (_, _) =>
            {
                Interlocked.Increment(ref preambles);
                return ValueTask.CompletedTask;
            });
            return app;
        }

        var time = new ManualTimeProvider();
        int setups = 0;
        var server = await TcpTestServer.StartAsync(App());
        int port = server.Port;
        await using WireframeClientPool<Envelope> pool = await WireframeClient.CreateBuilder()
            .UseTimeProvider(time)
            .Configure(options =>
            {
                // The test moves the clock in steps until the reconnect is done; no other timeout may fire meanwhile.
                options.ConnectTimeout = options.PreambleTimeout = options.CallTimeout = TimeSpan.FromHours(1);
            })
            .UsePreamble("HELLO pool\n"u8.ToArray())
            .OnConnected((_, _) =>
            {
                Interlocked.Increment(ref setups);
                return ValueTask.CompletedTask;
            })
            .ConnectPoolAsync("127.0.0.1", port, options => options.AcquireTimeout = TimeSpan.FromHours(1)).AsTask().WaitAsync(Safety);
        Assert.Equal([1], await pool.CallAsync<byte[], byte[]>(EchoApp.EchoMessageId, [1]).AsTask().WaitAsync(Safety));

        Task<byte[]> unanswered = pool.CallAsync<byte[], byte[]>(9, [2]).AsTask();
        await Fragmentation.FragmentKit.WaitUntilAsync(() => pool.InFlight == 1, "the unanswered call in flight");
        await server.DisposeAsync();
        await Assert.ThrowsAsync<WireframeConnectionLostException>(() => unanswered.WaitAsync(Safety));
        await Fragmentation.FragmentKit.WaitUntilAsync(() => pool.Connected == 0, "the pool saw the connection go");

        // A call made while the server is down waits in line for the reconnect instead of failing.
        Task<byte[]> early = pool.CallAsync<byte[], byte[]>(EchoApp.EchoMessageId, [3]).AsTask();
        await using var restarted = await TcpTestServer.StartAsync(App(), port);
        await Fragmentation.FragmentKit.WaitUntilAsync(
            () =>
            {
                time.Advance(TimeSpan.FromMilliseconds(100));
                return pool.Connected == 1;
            },
            "reconnected after the backoff delay");

        Assert.Equal([3], await early.WaitAsync(Safety));
        Assert.Equal([4], await pool.CallAsync<byte[], byte[]>(EchoApp.EchoMessageId, [4]).AsTask().WaitAsync(Safety));
        Assert.Equal(1, pool.Reconnects);
        Assert.Equal(2, Volatile.Read(ref preambles));
        Assert.Equal(2, Volatile.Read(ref setups));
    }

    [Fact]
    public async Task Calls_go_round_robin_over_the_connections()
    {
        var seenBy = new ConcurrentDictionary<long, int>();
        var app = WireframeApp.CreateBuilder();
        app.Route<ReadOnlySequence<byte>, byte[]>(1, (payload, context) =>
        {
            seenBy.AddOrUpdate(context.Connection.Id.Value, 1, (_, count) => count + 1);
            return payload.ToArray();
        });
        await using var server = await TcpTestServer.StartAsync(app);
        await using WireframeClientPool<Envelope> pool = await WireframeClient.CreateBuilder()
            .ConnectPoolAsync("127.0.0.1", server.Port, options => options.Size = 3).AsTask().WaitAsync(Safety);
        Assert.Equal(3, pool.Connected);

        for (byte i = 0; i < 9; i++)
        {
            Assert.Equal([i], await pool.CallAsync<byte[], byte[]>(1, [i]).AsTask().WaitAsync(Safety));
        }

        Assert.Equal(3, seenBy.Count);
        Assert.All(seenBy.Values, count => Assert.Equal(3, count));
    }

    [Fact]
    public async Task Calls_beyond_the_admission_budget_wait_in_line_and_are_sent_first_come_first_served()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var arrivals = new ConcurrentQueue<byte>();
        var app = WireframeApp.CreateBuilder().Configure(options => options.MaxConcurrentRequestsPerConnection = 8);
        app.Route<ReadOnlySequence<byte>, byte[]>(1, async (payload, _) =>
        {
            byte[] copy = payload.ToArray();
            arrivals.Enqueue(copy[0]);
            if (copy[0] == 0)
            {
                await release.Task;
            }

            return copy;
        });
        await using var server = await TcpTestServer.StartAsync(app);
        await using WireframeClientPool<Envelope> pool = await WireframeClient.CreateBuilder()
            .ConnectPoolAsync("127.0.0.1", server.Port, options => options.MaxInFlightPerConnection = 1).AsTask().WaitAsync(Safety);

        Task<byte[]> blocking = pool.CallAsync<byte[], byte[]>(1, [0]).AsTask();
        await Fragmentation.FragmentKit.WaitUntilAsync(() => arrivals.Count == 1, "the first call reached the server");
        var queued = new List<Task<byte[]>>();
        for (byte i = 1; i <= 3; i++)
        {
            queued.Add(pool.CallAsync<byte[], byte[]>(1, [i]).AsTask());
            int expected = i;
            await Fragmentation.FragmentKit.WaitUntilAsync(() => pool.QueuedCalls == expected, $"call {i} in line");
        }

        // The budget of one holds the others back: the server has seen only the first call.
        Assert.Single(arrivals);
        release.SetResult();

        Assert.Equal([0], await blocking.WaitAsync(Safety));
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal([(byte)(i + 1)], await queued[i].WaitAsync(Safety));
        }

        Assert.Equal([0, 1, 2, 3], arrivals.ToArray());
        Assert.Equal(0, pool.QueuedCalls);
        Assert.Equal(0, pool.InFlight);
    }

    [Fact]
    public async Task A_full_line_refuses_at_once_and_a_call_that_waits_too_long_times_out_on_the_clients_clock()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var app = WireframeApp.CreateBuilder();
        app.Route<ReadOnlySequence<byte>, byte[]>(1, async (payload, _) =>
        {
            byte[] copy = payload.ToArray();
            await release.Task;
            return copy;
        });
        await using var server = await TcpTestServer.StartAsync(app);
        var time = new ManualTimeProvider();
        await using WireframeClientPool<Envelope> pool = await WireframeClient.CreateBuilder()
            .UseTimeProvider(time)
            .Configure(options => options.CallTimeout = Timeout.InfiniteTimeSpan)
            .ConnectPoolAsync("127.0.0.1", server.Port, options =>
            {
                options.MaxInFlightPerConnection = 1;
                options.MaxQueuedCalls = 1;
                options.AcquireTimeout = TimeSpan.FromSeconds(5);
            }).AsTask().WaitAsync(Safety);

        Task<byte[]> busy = pool.CallAsync<byte[], byte[]>(1, [1]).AsTask();
        Task<byte[]> waiting = pool.CallAsync<byte[], byte[]>(1, [2]).AsTask();
        await Fragmentation.FragmentKit.WaitUntilAsync(() => pool.QueuedCalls == 1, "the second call in line");

        var full = await Assert.ThrowsAsync<WireframeClientPoolFullException>(() => pool.CallAsync<byte[], byte[]>(1, [3]).AsTask().WaitAsync(Safety));
        Assert.Contains("WireframeClientPoolOptions.MaxQueuedCalls", full.Message, StringComparison.Ordinal);

        await Fragmentation.FragmentKit.WaitUntilAsync(() => time.PendingTimers > 0, "the wait's timeout armed");
        time.Advance(TimeSpan.FromSeconds(5));
        var timeout = await Assert.ThrowsAsync<TimeoutException>(() => waiting.WaitAsync(Safety));
        Assert.Contains("WireframeClientPoolOptions.AcquireTimeout", timeout.Message, StringComparison.Ordinal);
        Assert.Equal(0, pool.QueuedCalls);

        release.SetResult();
        Assert.Equal([1], await busy.WaitAsync(Safety));
        Assert.Equal([4], await pool.CallAsync<byte[], byte[]>(1, [4]).AsTask().WaitAsync(Safety));
    }

    [Fact]
    public async Task An_idle_connection_is_closed_after_the_idle_timeout_and_opened_again_by_the_next_call()
    {
        int serverConnections = 0;
        int serverDisconnections = 0;
        WireframeAppBuilder<Envelope> app = EchoApp.CreateRouted();
        app.OnConnected(_ =>
        {
            Interlocked.Increment(ref serverConnections);
            return ValueTask.CompletedTask;
        });
        app.OnDisconnected((_, _) =>
        {
            Interlocked.Increment(ref serverDisconnections);
            return ValueTask.CompletedTask;
        });
        await using var server = await TcpTestServer.StartAsync(app);
        var time = new ManualTimeProvider();
        await using WireframeClientPool<Envelope> pool = await WireframeClient.CreateBuilder()
            .UseTimeProvider(time)
            .ConnectPoolAsync("127.0.0.1", server.Port, options => options.IdleTimeout = TimeSpan.FromMinutes(1)).AsTask().WaitAsync(Safety);
        Assert.Equal([1], await pool.CallAsync<byte[], byte[]>(EchoApp.EchoMessageId, [1]).AsTask().WaitAsync(Safety));

        time.Advance(TimeSpan.FromSeconds(45));
        Assert.Equal(1, pool.Connected);
        time.Advance(TimeSpan.FromSeconds(30));
        Assert.Equal(0, pool.Connected);
        await Fragmentation.FragmentKit.WaitUntilAsync(() => Volatile.Read(ref serverDisconnections) == 1, "the server saw the idle connection close");

        Assert.Equal([2], await pool.CallAsync<byte[], byte[]>(EchoApp.EchoMessageId, [2]).AsTask().WaitAsync(Safety));
        Assert.Equal(1, pool.Connected);
        Assert.Equal(2, Volatile.Read(ref serverConnections));
        Assert.Equal(0, pool.Reconnects);
    }

    [Fact]
    public async Task Without_reconnecting_a_lost_connection_fails_later_calls_at_once()
    {
        var server = await TcpTestServer.StartAsync(EchoApp.CreateRouted());
        await using WireframeClientPool<Envelope> pool = await WireframeClient.CreateBuilder()
            .ConnectPoolAsync("127.0.0.1", server.Port, options => options.Reconnect = false).AsTask().WaitAsync(Safety);
        await server.DisposeAsync();
        await Fragmentation.FragmentKit.WaitUntilAsync(() => pool.Connected == 0, "the pool saw the connection go");

        var lost = await Assert.ThrowsAsync<WireframeConnectionLostException>(() => pool.CallAsync<byte[], byte[]>(EchoApp.EchoMessageId, [1]).AsTask().WaitAsync(Safety));
        Assert.Contains("WireframeClientPoolOptions.Reconnect", lost.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_server_that_stays_down_is_retried_with_doubling_jittered_delays_up_to_the_maximum()
    {
        var server = await TcpTestServer.StartAsync(EchoApp.CreateRouted());
        int port = server.Port;
        var time = new ManualTimeProvider();
        var logs = new LogCapture();
        using var loggerFactory = LoggerFactory.Create(logging => logging.AddProvider(logs).SetMinimumLevel(LogLevel.Debug));
        await using WireframeClientPool<Envelope> pool = await WireframeClient.CreateBuilder()
            .UseTimeProvider(time)
            .UseLogging(loggerFactory)
            .Configure(options => options.ConnectTimeout = TimeSpan.FromHours(1))
            .ConnectPoolAsync("127.0.0.1", port, options =>
            {
                options.ReconnectInitialDelay = TimeSpan.FromSeconds(1);
                options.ReconnectMaxDelay = TimeSpan.FromSeconds(4);
            }).AsTask().WaitAsync(Safety);
        await server.DisposeAsync();

        IReadOnlyList<CapturedLog> Failures() => logs.Entries.Where(e => e.EventId == 605).ToArray();
        await Fragmentation.FragmentKit.WaitUntilAsync(
            () =>
            {
                time.Advance(TimeSpan.FromMilliseconds(250));
                return Failures().Count >= 5;
            },
            "five refused reconnect attempts");

        TimeSpan[] delays = [.. logs.Entries.Where(e => e.EventId == 604).Take(5).Select(e => (TimeSpan)e["Delay"]!)];
        double[] ceilings = [1, 2, 4, 4, 4];
        for (int i = 0; i < delays.Length; i++)
        {
            Assert.InRange(delays[i].TotalSeconds, ceilings[i] / 2, ceilings[i]);
        }

        Assert.All(Failures().Take(5), failure => Assert.Equal(LogLevel.Warning, failure.Level));
        await using var restarted = await TcpTestServer.StartAsync(EchoApp.CreateRouted(), port);
        await Fragmentation.FragmentKit.WaitUntilAsync(
            () =>
            {
                time.Advance(TimeSpan.FromMilliseconds(250));
                return pool.Connected == 1;
            },
            "reconnected once the server is back");
        Assert.Equal([5], await pool.CallAsync<byte[], byte[]>(EchoApp.EchoMessageId, [5]).AsTask().WaitAsync(Safety));
        Assert.Single(logs.Entries, e => e.EventId == 606);
    }

    [Fact]
    public async Task Pushes_from_every_connection_reach_the_pools_one_subscriber()
    {
        WireframeAppBuilder<Envelope> app = EchoApp.CreateRouted();
        app.Route<ReadOnlySequence<byte>>(7, async (payload, context) => await context.Connection.SendAsync(8, payload.ToArray()));
        await using var server = await TcpTestServer.StartAsync(app);
        await using WireframeClientPool<Envelope> pool = await WireframeClient.CreateBuilder()
            .ConnectPoolAsync("127.0.0.1", server.Port, options => options.Size = 2).AsTask().WaitAsync(Safety);

        await pool.SendAsync<byte[]>(7, [1]).AsTask().WaitAsync(Safety);
        await pool.SendAsync<byte[]>(7, [2]).AsTask().WaitAsync(Safety);
        var pushed = new List<byte>();
        using var wait = new CancellationTokenSource(Safety);
        while (pushed.Count < 2)
        {
            Envelope push = await pool.Pushes.ReadAsync(wait.Token);
            Assert.Equal(8u, push.MessageId);
            pushed.Add(pool.Read<byte[]>(push)[0]);
        }

        Assert.Equal(new byte[] { 1, 2 }, pushed.Order().ToArray());
        Assert.Equal(0, pool.InFlight);
    }

    [Fact]
    public async Task A_stream_holds_its_place_on_a_connection_until_it_ends_and_then_the_line_moves()
    {
        await using var server = await TcpTestServer.StartAsync(ClientStreamTests.StreamApp());
        await using WireframeClientPool<Envelope> pool = await WireframeClient.CreateBuilder()
            .UseStreamTerminator(frame => frame.MessageId == ClientStreamTests.End)
            .ConnectPoolAsync("127.0.0.1", server.Port, options => options.MaxInFlightPerConnection = 1).AsTask().WaitAsync(Safety);
        await using IAsyncEnumerator<byte[]> stream = pool.StreamAsync<byte[], byte[]>(ClientStreamTests.Count, [3]).GetAsyncEnumerator();

        Assert.True(await stream.MoveNextAsync().AsTask().WaitAsync(Safety));
        Assert.Equal([0], stream.Current);
        Task<byte[]> waiting = pool.CallAsync<byte[], byte[]>(ClientStreamTests.Echo, [9]).AsTask();
        await Fragmentation.FragmentKit.WaitUntilAsync(() => pool.QueuedCalls == 1, "the call waits behind the stream");

        var rest = new List<byte>();
        while (await stream.MoveNextAsync().AsTask().WaitAsync(Safety))
        {
            rest.Add(stream.Current[0]);
        }

        Assert.Equal(new byte[] { 1, 2 }, rest.ToArray());
        Assert.Equal([9], await waiting.WaitAsync(Safety));
        Assert.Equal(0, pool.InFlight);
    }

    [Fact]
    public async Task A_pool_connects_over_a_unix_domain_socket()
    {
        DirectoryInfo directory = Directory.CreateTempSubdirectory("wf-pool-");
        string path = Path.Combine(directory.FullName, "echo.sock");
        try
        {
            await using Wireframe.Hosting.WireframeServer server = Wireframe.Hosting.WireframeServer.Create(EchoApp.CreateRouted())
                .ListenUnixSocket(path)
                .ConfigureLogging(logging => logging.SetMinimumLevel(LogLevel.Warning))
                .Build();
            await server.StartAsync();
            await using WireframeClientPool<Envelope> pool = await WireframeClient.CreateBuilder()
                .ConnectPoolAsync(new System.Net.Sockets.UnixDomainSocketEndPoint(path), options => options.Size = 2).AsTask().WaitAsync(Safety);

            Task<byte[]>[] calls = [.. Enumerable.Range(0, 10).Select(i => pool.CallAsync<byte[], byte[]>(EchoApp.EchoMessageId, [(byte)i]).AsTask())];
            byte[][] echoed = await Task.WhenAll(calls).WaitAsync(Safety);

            Assert.Equal(Enumerable.Range(0, 10).Select(i => (byte)i), echoed.Select(e => e[0]));
            Assert.Equal(2, pool.Connected);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }
}
