using System.Buffers;
using System.Net.Sockets;
using System.Reflection;
using Microsoft.Extensions.Logging;
using Wireframe.Client;
using Wireframe.Connections;
using Wireframe.Examples.Echo;
using Wireframe.Messages;
using Wireframe.Routing;
using Wireframe.Testing;
using Wireframe.Tests.Support;

namespace Wireframe.Tests.Client;

/// <summary>The pool's edges found by review: lost connections closed, idle reopen with no line, a line not left waiting, backoff against a server that drops at once.</summary>
public sealed class ClientPoolReviewTests
{
    private static readonly TimeSpan Safety = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_lost_connection_is_closed_by_the_pool_and_does_not_leak_its_socket()
    {
        var clients = new List<WireframeClient<Envelope>>();
        var server = await TcpTestServer.StartAsync(EchoApp.CreateRouted());
        WireframeClientPool<Envelope> pool = await WireframeClient.CreateBuilder()
            .OnConnected((connection, _) =>
            {
                lock (clients)
                {
                    clients.Add(connection);
                }

                return ValueTask.CompletedTask;
            })
            .ConnectPoolAsync("127.0.0.1", server.Port, options => options.Reconnect = false).AsTask().WaitAsync(Safety);
        WireframeClient<Envelope> first = Assert.Single(clients);

        await server.DisposeAsync();
        await first.Completion.WaitAsync(Safety);
        await Fragmentation.FragmentKit.WaitUntilAsync(() => pool.Connected == 0, "the pool saw the connection go");
        await pool.DisposeAsync();

        // The pool closes what it lost: no socket left in CLOSE_WAIT with its pipe buffers until a finalizer runs.
        Assert.True(SocketOf(first).SafeHandle.IsClosed, "The lost connection's socket is still open after the pool was disposed.");
    }

    [Fact]
    public async Task With_no_line_allowed_an_idle_connection_is_still_opened_again_by_the_next_call()
    {
        await using var server = await TcpTestServer.StartAsync(EchoApp.CreateRouted());
        var time = new ManualTimeProvider();
        await using WireframeClientPool<Envelope> pool = await WireframeClient.CreateBuilder()
            .UseTimeProvider(time)
            .ConnectPoolAsync("127.0.0.1", server.Port, options =>
            {
                options.IdleTimeout = TimeSpan.FromMinutes(1);
                options.MaxQueuedCalls = 0;
            }).AsTask().WaitAsync(Safety);
        Assert.Equal([1], await pool.CallAsync<byte[], byte[]>(EchoApp.EchoMessageId, [1]).AsTask().WaitAsync(Safety));

        time.Advance(TimeSpan.FromSeconds(75));
        Assert.Equal(0, pool.Connected);

        // With no line a call that finds no open connection may be refused, but it starts the reopen.
        Exception? refused = await Record.ExceptionAsync(() => pool.CallAsync<byte[], byte[]>(EchoApp.EchoMessageId, [2]).AsTask().WaitAsync(Safety));
        Assert.True(refused is null or WireframeClientPoolFullException, $"Unexpected: {refused}");
        await Fragmentation.FragmentKit.WaitUntilAsync(() => pool.Connected == 1, "the idle connection was opened again");
        Assert.Equal([3], await pool.CallAsync<byte[], byte[]>(EchoApp.EchoMessageId, [3]).AsTask().WaitAsync(Safety));
    }

    [Fact]
    public async Task Without_reconnecting_a_call_in_line_is_not_left_waiting_when_the_last_open_connection_is_lost_and_an_idle_one_remains()
    {
        var held = new TaskCompletionSource<WireframeConnection>(TaskCreationOptions.RunContinuationsAsynchronously);
        WireframeAppBuilder<Envelope> app = EchoApp.CreateRouted();
        app.Route<ReadOnlySequence<byte>, byte[]>(9, async (_, context) =>
        {
            held.TrySetResult(context.Connection);
            await Task.Delay(Timeout.Infinite, context.Connection.ConnectionClosing);
            return [];
        });
        await using var server = await TcpTestServer.StartAsync(app);
        var time = new ManualTimeProvider();
        int refuse = 0;
        int refused = 0;
        await using WireframeClientPool<Envelope> pool = await WireframeClient.CreateBuilder()
            .UseTimeProvider(time)
            .Configure(options => options.CallTimeout = Timeout.InfiniteTimeSpan)
            .OnConnected((_, _) =>
            {
                if (Volatile.Read(ref refuse) == 1)
                {
                    Interlocked.Increment(ref refused);
                    throw new InvalidOperationException("The test refuses this connection.");
                }

                return ValueTask.CompletedTask;
            })
            .ConnectPoolAsync("127.0.0.1", server.Port, options =>
            {
                options.Size = 2;
                options.MaxInFlightPerConnection = 1;
                options.Reconnect = false;
                options.IdleTimeout = TimeSpan.FromMinutes(1);
                options.AcquireTimeout = TimeSpan.FromHours(1);
            }).AsTask().WaitAsync(Safety);
        IReadOnlyList<PoolSlot<Envelope>> slots = pool.Slots;

        // Connection 0 carries an unanswered call; connection 1 carries nothing and is closed as idle.
        Task<byte[]> blocking = pool.CallAsync<byte[], byte[]>(9, [0]).AsTask();
        WireframeConnection serverSide = await held.Task.WaitAsync(Safety);
        time.Advance(TimeSpan.FromSeconds(75));
        Assert.Equal(1, pool.Connected);

        // A call waits in line; its reopen of connection 1 fails, and it keeps waiting for connection 0.
        Volatile.Write(ref refuse, 1);
        Task<byte[]> waiting = pool.CallAsync<byte[], byte[]>(EchoApp.EchoMessageId, [2]).AsTask();
        await Fragmentation.FragmentKit.WaitUntilAsync(
            () => Volatile.Read(ref refused) == 1 && slots[1].State == PoolSlotState.Idle,
            "the reopen failed and the slot is idle again");
        Assert.Equal(1, pool.QueuedCalls);

        // Connection 0 is lost; the server takes connections again, and connection 1 could be reopened.
        Volatile.Write(ref refuse, 0);
        serverSide.Close();
        await Record.ExceptionAsync(() => blocking.WaitAsync(Safety));
        await Fragmentation.FragmentKit.WaitUntilAsync(() => slots[0].State == PoolSlotState.Closed, "the pool saw connection 0 go");

        // The idle connection is opened for the call in line (or the line fails), instead of the call waiting for AcquireTimeout.
        await Fragmentation.FragmentKit.WaitUntilAsync(() => waiting.IsCompleted, "the call in line was served or failed");
        if (waiting.IsFaulted)
        {
            Assert.IsType<WireframeConnectionLostException>(waiting.Exception!.InnerException);
        }
        else
        {
            Assert.Equal([2], await waiting);
        }
    }

    [Fact]
    public async Task A_server_that_drops_every_new_connection_at_once_is_retried_with_growing_delays()
    {
        int drop = 0;
        WireframeAppBuilder<Envelope> app = EchoApp.CreateRouted();
        var connections = new List<WireframeConnection>();
        app.OnConnected(connection =>
        {
            if (Volatile.Read(ref drop) == 1)
            {
                // An overloaded or refusing server: accepts, then closes at once.
                throw new InvalidOperationException("The test server refuses this connection.");
            }

            lock (connections)
            {
                connections.Add(connection);
            }

            return ValueTask.CompletedTask;
        });
        await using var server = await TcpTestServer.StartAsync(app);
        var time = new ManualTimeProvider();
        var logs = new LogCapture();
        using var loggerFactory = LoggerFactory.Create(logging => logging.AddProvider(logs).SetMinimumLevel(LogLevel.Debug));
        await using WireframeClientPool<Envelope> pool = await WireframeClient.CreateBuilder()
            .UseTimeProvider(time)
            .UseLogging(loggerFactory)
            .Configure(options => options.ConnectTimeout = TimeSpan.FromHours(1))
            .ConnectPoolAsync("127.0.0.1", server.Port, options =>
            {
                options.ReconnectInitialDelay = TimeSpan.FromSeconds(1);
                options.ReconnectMaxDelay = TimeSpan.FromSeconds(60);
            }).AsTask().WaitAsync(Safety);

        await Fragmentation.FragmentKit.WaitUntilAsync(
            () =>
            {
                lock (connections)
                {
                    return connections.Count == 1;
                }
            },
            "the server saw the connection");
        Volatile.Write(ref drop, 1);
        lock (connections)
        {
            Assert.Single(connections).Close();
        }

        await Fragmentation.FragmentKit.WaitUntilAsync(
            () =>
            {
                time.Advance(TimeSpan.FromMilliseconds(250));
                return logs.Entries.Count(e => e.EventId == 604) >= 6;
            },
            "six reconnect attempts");

        // Every attempt "succeeds" (TCP and the client's setup pass) and is dropped at once: the backoff
        // keeps growing instead of starting over, so such a server is not hammered at the initial delay.
        TimeSpan[] delays = [.. logs.Entries.Where(e => e.EventId == 604).Take(6).Select(e => (TimeSpan)e["Delay"]!)];
        Assert.True(
            delays.Max() > TimeSpan.FromSeconds(1),
            $"The backoff never grew against a server that drops every connection: {string.Join(", ", delays)}; reconnects counted: {pool.Reconnects}.");
    }

    private static Socket SocketOf(WireframeClient<Envelope> client) =>
        (Socket)typeof(WireframeClient<Envelope>).GetField("_socket", BindingFlags.NonPublic | BindingFlags.Instance)!.GetValue(client)!;
}
