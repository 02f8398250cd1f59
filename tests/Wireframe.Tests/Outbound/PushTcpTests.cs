using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Wireframe.Connections;
using Wireframe.Diagnostics;
using Wireframe.Messages;
using Wireframe.Outbound;
using Wireframe.Routing;
using Wireframe.Tests.Support;
using static Wireframe.Tests.Connections.TestKit;
using static Wireframe.Tests.Outbound.PushKit;

namespace Wireframe.Tests.Outbound;

/// <summary>
/// Pushes over real TCP on 127.0.0.1: delivery, and a client that stops reading while pushes keep
/// coming (bounded memory, slow-consumer eviction, graceful stop with a drain deadline). Time is a
/// manual clock; socket buffers are kept small so a client that does not read stops the writer fast.
/// </summary>
public sealed class PushTcpTests
{
    private const int Capacity = 8;
    private const int SocketBuffer = 8 * 1024;
    private static readonly TimeSpan SlowConsumerTimeout = TimeSpan.FromSeconds(7);
    private static readonly TimeSpan Drain = TimeSpan.FromSeconds(5);

    // Far larger than every buffer between the writer and the client: one such frame stops the writer.
    private static readonly Envelope BigFrame = new(5, null, new byte[256 * 1024].AsMemory());

    private static Task<TcpTestServer> StartAsync(WireframeAppBuilder<Envelope> app, TimeProvider clock, LogCapture logs) =>
        TcpTestServer.StartAsync(app, server => server
            .ConfigureLogging(logging => logging.AddProvider(logs).SetMinimumLevel(LogLevel.Debug))
            .ConfigureServices(services =>
            {
                services.AddSingleton(clock);

                // Accepted sockets inherit the listening socket's send buffer.
                services.Configure<SocketTransportOptions>(o => o.CreateBoundListenSocket = endPoint =>
                {
                    Socket listener = SocketTransportOptions.CreateDefaultBoundListenSocket(endPoint);
                    listener.SendBufferSize = SocketBuffer;
                    return listener;
                });
            }));

    /// <summary>A client with a small receive window that never reads.</summary>
    private static async Task<Socket> ConnectNonReadingAsync(IPEndPoint endPoint)
    {
        var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = SocketBuffer };
        await socket.ConnectAsync(endPoint);
        return socket;
    }

    private static WireframeAppBuilder<Envelope> App(out PushProbe probe, TaskCompletionSource<DisconnectInfo> disconnected, Action<WireframeOptions> configure) =>
        CreateApp(out probe, o =>
        {
            o.HighPriorityPushCapacity = Capacity;
            o.OutputBufferPauseThreshold = SocketBuffer;
            configure(o);
        }).OnDisconnected((_, info) =>
        {
            disconnected.TrySetResult(info);
            return ValueTask.CompletedTask;
        });

    /// <summary>Pushes big frames until the queue is full; returns how many were accepted.</summary>
    private static int PushUntilFull(PushHandle<Envelope> pushes)
    {
        for (int accepted = 0; accepted < 10_000; accepted++)
        {
            PushResult result = pushes.TryPush(BigFrame);
            if (result != PushResult.Queued)
            {
                Assert.Equal(PushResult.QueueFull, result);
                return accepted;
            }
        }

        Assert.Fail("10,000 pushes of 256 KiB to a client that does not read, and the queue never filled.");
        return 0;
    }

    [Fact]
    public async Task Pushes_from_several_threads_reach_a_tcp_client_once_each_and_between_responses()
    {
        var app = CreateApp(out PushProbe probe);
        app.Route<byte[], byte[]>(1, (request, _) => request);
        using var logs = new LogCapture();
        await using var server = await StartAsync(app, TimeProvider.System, logs);
        await using var client = await FrameSocket.ConnectAsync(server.EndPoint);
        PushHandle<Envelope> pushes = (await probe.NextSessionAsync()).Pushes;

        Task producers = Task.WhenAll(Enumerable.Range(0, 4).Select(p => Task.Run(async () =>
        {
            for (int i = 0; i < 100; i++)
            {
                Assert.Equal(PushResult.Queued, await pushes.PushAsync(Frame((uint)(100 + p), $"{i}"), p % 2 == 0 ? PushPriority.High : PushPriority.Low));
            }
        })));
        await client.SendAsync(FrameSocket.Envelope(1, "echo"u8, correlationId: 3));

        var pushed = new Dictionary<uint, List<string>>();
        int responses = 0;
        for (int n = 0; n < 401; n++)
        {
            EnvelopeReply reply = (await client.ReadEnvelopeAsync())!;
            if (reply.CorrelationId == 3)
            {
                responses++;
                continue;
            }

            pushed.TryAdd(reply.MessageId, []);
            pushed[reply.MessageId].Add(System.Text.Encoding.UTF8.GetString(reply.Payload));
        }

        await producers.Within();
        Assert.Equal(1, responses);
        Assert.Equal([100u, 101u, 102u, 103u], pushed.Keys.Order());
        Assert.All(pushed.Values, texts => Assert.Equal(Enumerable.Range(0, 100).Select(i => $"{i}"), texts));
    }

    [Fact]
    public async Task A_client_that_stops_reading_fills_a_bounded_queue_and_is_evicted_as_a_slow_consumer()
    {
        var clock = new ArmTrackingClock();
        var disconnected = new TaskCompletionSource<DisconnectInfo>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var logs = new LogCapture();
        await using var server = await StartAsync(App(out PushProbe probe, disconnected, o => o.SlowConsumerTimeout = SlowConsumerTimeout), clock, logs);
        using var metrics = new MetricCapture(server.Server.Services);
        using Socket client = await ConnectNonReadingAsync(server.EndPoint);
        PushSession session = await probe.NextSessionAsync();

        // Memory stays bounded: past the queue and the transport's buffers, pushes are refused.
        int accepted = PushUntilFull(session.Pushes);
        Assert.InRange(accepted, Capacity, 4 * Capacity);
        Assert.InRange(session.Pushes.Queues!.Pending, 1, Capacity);

        // Each time the writer's flush has to wait it arms the slow-consumer timer; advance the clock
        // right after an arm until the writer is found still waiting (the last arm, once buffers are full).
        for (int arm = 1; session.Connection.PendingStop is null; arm++)
        {
            Assert.True(arm < 1000, "The writer never stayed blocked.");
            await clock.ArmedAsync(SlowConsumerTimeout, arm);
            clock.Advance(SlowConsumerTimeout);
        }

        DisconnectInfo info = await disconnected.Task.Within();
        Assert.Equal(DisconnectReason.SlowConsumer, info.Reason);
        CapturedLog warning = Assert.Single(logs.Wireframe(403));
        Assert.Equal(LogLevel.Warning, warning.Level);
        Assert.Equal(1, metrics.Errors(ErrorTypes.SlowConsumer));
        Assert.InRange(metrics.Sum("wireframe.server.frames_dropped", "wireframe.drop_reason", DropReasons.Closed), 1, Capacity);
        Assert.Equal(PushResult.Closed, session.Pushes.TryPush(BigFrame));
    }

    /// <summary>
    /// The drain deadline aborts the connection even though its read loop has ended and only the
    /// writer's final delivery is left (before the fix, Kestrel's own shutdown timeout tore the
    /// socket down two real seconds later and the connection ended as a graceful shutdown).
    /// </summary>
    [Fact]
    public async Task Stop_aborts_at_the_drain_deadline_a_client_that_stopped_reading_while_a_push_is_being_flushed()
    {
        var clock = new ArmTrackingClock();
        var disconnected = new TaskCompletionSource<DisconnectInfo>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var logs = new LogCapture();
        await using var server = await StartAsync(App(out PushProbe probe, disconnected, o => o.ShutdownDrainTimeout = Drain), clock, logs);
        using var metrics = new MetricCapture(server.Server.Services);
        using Socket client = await ConnectNonReadingAsync(server.EndPoint);
        PushSession session = await probe.NextSessionAsync();
        PushUntilFull(session.Pushes);

        Task stopping = server.Server.StopAsync();

        // The drain deadline is set on the app's clock when shutdown reaches the connection; no request
        // runs, so the connection's completion then queues behind the stuck writer.
        await clock.ArmedAsync(Drain);
        WaitForWriterWaiter(session.Connection);
        clock.Advance(Drain);

        await stopping.Within();
        DisconnectInfo info = await disconnected.Task.Within();
        Assert.Equal(DisconnectReason.DrainTimeout, info.Reason);
        Assert.Single(logs.Wireframe(7));
        Assert.Equal(1, metrics.Errors(ErrorTypes.DrainTimeout));
    }
}
