using System.Buffers;
using Microsoft.Extensions.Logging;
using Wireframe.Connections;
using Wireframe.Diagnostics;
using Wireframe.Examples.Echo;
using Wireframe.Messages;
using Wireframe.Routing;
using Wireframe.Tests.Support;

namespace Wireframe.Tests.Hosting;

/// <summary><see cref="Wireframe.Hosting.WireframeServer.StopAsync"/> over real TCP: goodbyes, draining, the deadline, and late arrivals.</summary>
public sealed class GracefulShutdownTcpTests
{
    private const uint SlowMessageId = 7;
    private const uint GoodbyeMessageId = 99;
    private static readonly byte[] Goodbye = "goodbye"u8.ToArray();
    private static readonly TimeSpan SafetyTimeout = TimeSpan.FromSeconds(60);

    // Far beyond the safety timeout: if shutdown waited for anything to reach this deadline, the test would time out.
    private static readonly TimeSpan DrainTimeoutNobodyWaitsFor = TimeSpan.FromMinutes(5);

    [Fact]
    public async Task Stop_does_not_wait_for_idle_clients_and_each_gets_a_goodbye_then_EOF()
    {
        const int Clients = 3;
        var gate = new SlowHandlerGate();
        var connected = new CountdownSignal(Clients);
        WireframeAppBuilder<Envelope> app = CreateApp(gate, DrainTimeoutNobodyWaitsFor);
        app.OnConnected(_ =>
        {
            connected.Signal();
            return default;
        });
        await using var server = await TcpTestServer.StartAsync(app);
        var clients = new List<FrameSocket>();
        try
        {
            for (int i = 0; i < Clients; i++)
            {
                clients.Add(await FrameSocket.ConnectAsync(server.EndPoint));
            }

            // The clients never send a byte nor close; the server only has to know they are there.
            await connected.Task.WaitAsync(SafetyTimeout);
            await server.Server.StopAsync().WaitAsync(SafetyTimeout);

            foreach (FrameSocket client in clients)
            {
                await AssertGoodbyeThenEofAsync(client);
            }
        }
        finally
        {
            foreach (FrameSocket client in clients)
            {
                await client.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task Busy_client_gets_its_response_then_goodbye_then_EOF()
    {
        var gate = new SlowHandlerGate();
        await using var server = await TcpTestServer.StartAsync(CreateApp(gate, DrainTimeoutNobodyWaitsFor));
        await using var busy = await FrameSocket.ConnectAsync(server.EndPoint);
        await busy.SendAsync(FrameSocket.Envelope(SlowMessageId, "in flight"u8, correlationId: 5));
        await gate.Entered.WaitAsync(SafetyTimeout);

        Task stopping = server.Server.StopAsync();
        await gate.ShutdownSeen.WaitAsync(SafetyTimeout);

        // The drain deadline is minutes away and the handler is still blocked, so the stop cannot have finished.
        Assert.False(stopping.IsCompleted);
        gate.Release();
        await stopping.WaitAsync(SafetyTimeout);

        EnvelopeReply? response = await busy.ReadEnvelopeAsync();
        Assert.NotNull(response);
        Assert.Equal(SlowMessageId, response.MessageId);
        Assert.Equal(5UL, response.CorrelationId);
        Assert.Equal("in flight"u8.ToArray(), response.Payload);
        await AssertGoodbyeThenEofAsync(busy);
    }

    [Fact]
    public async Task Handler_that_never_finishes_is_aborted_at_the_drain_deadline_and_stop_completes()
    {
        var gate = new SlowHandlerGate();
        var disconnected = new TaskCompletionSource<DisconnectInfo>(TaskCreationOptions.RunContinuationsAsynchronously);
        WireframeAppBuilder<Envelope> app = CreateApp(gate, TimeSpan.FromSeconds(1));
        app.OnDisconnected((_, info) =>
        {
            disconnected.TrySetResult(info);
            return default;
        });
        using var logs = new LogCapture();
        await using var server = await TcpTestServer.StartAsync(app, b => b.ConfigureLogging(l => l.AddProvider(logs).SetMinimumLevel(LogLevel.Debug)));
        using var metrics = new MetricCapture(server.Server.Services);
        await using var stuck = await FrameSocket.ConnectAsync(server.EndPoint);
        try
        {
            await stuck.SendAsync(FrameSocket.Envelope(SlowMessageId, "never answered"u8, correlationId: 1));
            await gate.Entered.WaitAsync(SafetyTimeout);

            await server.Server.StopAsync().WaitAsync(SafetyTimeout);

            // Aborted: no response and no goodbye, just the end of the connection (EOF or reset).
            Assert.Empty(await stuck.ReadToEndAsync());
            Assert.False(disconnected.Task.IsCompleted, "The handler is still running, so the connection cannot have finished.");
            Assert.Equal(1, metrics.Errors(ErrorTypes.DrainTimeout));
            CapturedLog log = Assert.Single(logs.Wireframe(7));
            Assert.Equal(LogLevel.Warning, log.Level);
            Assert.Contains("ShutdownDrainTimeout", log.Message, StringComparison.Ordinal);
        }
        finally
        {
            // Let the abandoned handler return so nothing outlives the test.
            gate.Release();
        }

        DisconnectInfo info = await disconnected.Task.WaitAsync(SafetyTimeout);
        Assert.Equal(DisconnectReason.DrainTimeout, info.Reason);
    }

    [Fact]
    public async Task Connections_arriving_after_shutdown_began_are_not_served()
    {
        var gate = new SlowHandlerGate();
        await using var server = await TcpTestServer.StartAsync(CreateApp(gate, DrainTimeoutNobodyWaitsFor));
        using var metrics = new MetricCapture(server.Server.Services);
        await using var busy = await FrameSocket.ConnectAsync(server.EndPoint);
        await busy.SendAsync(FrameSocket.Envelope(SlowMessageId, "hold the drain open"u8, correlationId: 1));
        await gate.Entered.WaitAsync(SafetyTimeout);
        Task stopping = server.Server.StopAsync();
        try
        {
            await gate.ShutdownSeen.WaitAsync(SafetyTimeout);

            // Kestrel unbinds as the host stops, so a newcomer is either refused by the kernel or, if it
            // slipped in before the listener closed, closed by Wireframe without being served.
            FrameSocket late;
            try
            {
                late = await FrameSocket.ConnectAsync(server.EndPoint);
            }
            catch (System.Net.Sockets.SocketException ex) when (ex.SocketErrorCode == System.Net.Sockets.SocketError.ConnectionRefused)
            {
                late = null!;
            }

            if (late is not null)
            {
                await using (late)
                {
                    await late.TrySendAsync(FrameSocket.Envelope(EchoApp.EchoMessageId, "too late"u8, correlationId: 2));
                    Assert.Empty(await late.ReadToEndAsync());
                    Assert.Equal(1, metrics.Sum("wireframe.server.rejected_connections", "wireframe.rejection_reason", "shutting_down"));
                }
            }
        }
        finally
        {
            gate.Release();
        }

        await stopping.WaitAsync(SafetyTimeout);
        EnvelopeReply? response = await busy.ReadEnvelopeAsync();
        Assert.NotNull(response);
        Assert.Equal(1UL, response.CorrelationId);
        await AssertGoodbyeThenEofAsync(busy);
    }

    private static WireframeAppBuilder<Envelope> CreateApp(SlowHandlerGate gate, TimeSpan drainTimeout)
    {
        WireframeAppBuilder<Envelope> app = EchoApp.CreateRouted();
        app.Configure(o => o.ShutdownDrainTimeout = drainTimeout);
        app.Route<ReadOnlySequence<byte>, ReadOnlySequence<byte>>(SlowMessageId, async (payload, context) =>
        {
            context.RequestAborted.Register(gate.OnShutdownSeen);
            gate.OnEntered();

            // Deliberately ignores RequestAborted: only the test lets it finish.
            await gate.Released;
            return payload;
        });
        app.OnShutdown(async connection => await connection.SendAsync(GoodbyeMessageId, Goodbye));
        return app;
    }

    private static async Task AssertGoodbyeThenEofAsync(FrameSocket client)
    {
        EnvelopeReply? goodbye = await client.ReadEnvelopeAsync();
        Assert.NotNull(goodbye);
        Assert.Equal(GoodbyeMessageId, goodbye.MessageId);
        Assert.Null(goodbye.CorrelationId);
        Assert.Equal(Goodbye, goodbye.Payload);
        Assert.Null(await client.ReadFrameAsync());
    }

    /// <summary>Lets a test see a slow handler start and see shutdown reach it, and decide when it finishes.</summary>
    private sealed class SlowHandlerGate
    {
        private readonly TaskCompletionSource _entered = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _shutdownSeen = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task Entered => _entered.Task;

        public Task ShutdownSeen => _shutdownSeen.Task;

        public Task Released => _released.Task;

        public void OnEntered() => _entered.TrySetResult();

        public void OnShutdownSeen() => _shutdownSeen.TrySetResult();

        public void Release() => _released.TrySetResult();
    }
}
