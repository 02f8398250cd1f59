using System.Buffers;
using Microsoft.Extensions.Logging;
using Wireframe.Connections;
using Wireframe.Diagnostics;
using Wireframe.Examples.Echo;
using Wireframe.Messages;
using Wireframe.Routing;
using Wireframe.Tests.Support;

namespace Wireframe.Tests.Integration;

/// <summary>A throwing handler harms at most its own connection, and the failure is logged and counted.</summary>
public sealed class HandlerExceptionIsolationTests
{
    private const uint ThrowingMessageId = 66;
    private static readonly TimeSpan SafetyTimeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Throwing_handler_closes_only_its_connection_while_others_keep_working()
    {
        var failingConnection = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        var disconnected = new TaskCompletionSource<DisconnectInfo>(TaskCreationOptions.RunContinuationsAsynchronously);
        WireframeAppBuilder<Envelope> app = CreateApp(failingConnection);
        app.OnDisconnected((connection, info) =>
        {
            if (failingConnection.Task.IsCompleted && connection.Id.Value == failingConnection.Task.Result)
            {
                disconnected.TrySetResult(info);
            }

            return default;
        });
        using var logs = new LogCapture();
        await using var server = await TcpTestServer.StartAsync(app, b => b.ConfigureLogging(l => l.AddProvider(logs).SetMinimumLevel(LogLevel.Debug)));
        using var metrics = new MetricCapture(server.Server.Services);
        await using var victim = await FrameSocket.ConnectAsync(server.EndPoint);
        await using var bystander = await FrameSocket.ConnectAsync(server.EndPoint);
        await AssertEchoesAsync(bystander, 1);

        // The bystander keeps talking the whole time the victim's handler fails.
        using var stopBystander = new CancellationTokenSource();
        Task<int> bystanderTraffic = KeepEchoingAsync(bystander, stopBystander.Token);

        // The echo before the failing request is answered; then the connection closes.
        byte[] batch = [
            .. FrameSocket.Envelope(EchoApp.EchoMessageId, "before"u8, correlationId: 10),
            .. FrameSocket.Envelope(ThrowingMessageId, "boom"u8, correlationId: 11),
        ];
        await victim.SendAsync(batch);
        EnvelopeReply? before = await victim.ReadEnvelopeAsync();
        Assert.NotNull(before);
        Assert.Equal(10UL, before.CorrelationId);
        Assert.Empty(await victim.ReadToEndAsync());
        DisconnectInfo info = await disconnected.Task.WaitAsync(SafetyTimeout);

        stopBystander.Cancel();
        Assert.True(await bystanderTraffic.WaitAsync(SafetyTimeout) > 0);
        await AssertEchoesAsync(bystander, 2);
        Assert.Equal(DisconnectReason.HandlerFailed, info.Reason);
        Assert.IsType<BoomException>(info.Exception);
        Assert.Equal(1, metrics.Errors(ErrorTypes.HandlerException));
        CapturedLog log = Assert.Single(logs.Wireframe(200));
        Assert.Equal(LogLevel.Error, log.Level);
        Assert.Equal(await failingConnection.Task, log["ConnectionId"]);
        Assert.Equal(ThrowingMessageId, log["MessageId"]);
        Assert.Contains("closing the connection", log.Message, StringComparison.Ordinal);
        Assert.IsType<BoomException>(log.Exception);
    }

    [Fact]
    public async Task Throwing_handler_under_FailRequest_fails_only_that_request_and_the_connection_keeps_working()
    {
        var failingConnection = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        WireframeAppBuilder<Envelope> app = CreateApp(failingConnection);
        app.Configure(o => o.HandlerExceptionPolicy = HandlerExceptionPolicy.FailRequest);
        using var logs = new LogCapture();
        await using var server = await TcpTestServer.StartAsync(app, b => b.ConfigureLogging(l => l.AddProvider(logs).SetMinimumLevel(LogLevel.Debug)));
        using var metrics = new MetricCapture(server.Server.Services);
        await using var client = await FrameSocket.ConnectAsync(server.EndPoint);

        byte[] batch = [
            .. FrameSocket.Envelope(ThrowingMessageId, "boom"u8, correlationId: 1),
            .. FrameSocket.Envelope(EchoApp.EchoMessageId, "after"u8, correlationId: 2),
            .. FrameSocket.Envelope(ThrowingMessageId, "boom again"u8, correlationId: 3),
        ];
        await client.SendAsync(batch);

        // The failed requests get no reply (there is no request-error hook); the one between them does.
        EnvelopeReply? after = await client.ReadEnvelopeAsync();
        Assert.NotNull(after);
        Assert.Equal(2UL, after.CorrelationId);
        Assert.Equal("after"u8.ToArray(), after.Payload);
        await AssertEchoesAsync(client, 4);
        Assert.Equal(2, metrics.Errors(ErrorTypes.HandlerException));
        long connectionId = await failingConnection.Task;
        IReadOnlyList<CapturedLog> failures = logs.Wireframe(200);
        Assert.Equal(2, failures.Count);
        Assert.All(failures, log =>
        {
            Assert.Equal(connectionId, log["ConnectionId"]);
            Assert.Contains("failing the request", log.Message, StringComparison.Ordinal);
        });
    }

    private static WireframeAppBuilder<Envelope> CreateApp(TaskCompletionSource<long> failingConnection)
    {
        WireframeAppBuilder<Envelope> app = EchoApp.CreateRouted();
        app.Route<ReadOnlySequence<byte>, ReadOnlySequence<byte>>(ThrowingMessageId, ReadOnlySequence<byte> (_, context) =>
        {
            failingConnection.TrySetResult(context.Connection.Id.Value);
            throw new BoomException();
        });
        return app;
    }

    private static async Task<int> KeepEchoingAsync(FrameSocket client, CancellationToken stop)
    {
        // Bounded: at most this many round trips even if nobody says stop.
        const int MaxRoundTrips = 10_000;
        int count = 0;
        while (!stop.IsCancellationRequested && count < MaxRoundTrips)
        {
            await AssertEchoesAsync(client, 1_000 + (ulong)count);
            count++;
        }

        return count;
    }

    private static async Task AssertEchoesAsync(FrameSocket client, ulong correlationId)
    {
        byte[] payload = Payloads.Random(48, seed: (int)correlationId);
        await client.SendAsync(FrameSocket.Envelope(EchoApp.EchoMessageId, payload, correlationId));
        EnvelopeReply? reply = await client.ReadEnvelopeAsync();
        Assert.NotNull(reply);
        Assert.Equal(correlationId, reply.CorrelationId);
        Assert.Equal(payload, reply.Payload);
    }

    private sealed class BoomException() : InvalidOperationException("The handler failed on purpose.");
}
