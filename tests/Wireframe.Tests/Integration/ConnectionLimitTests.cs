using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Wireframe.Connections;
using Wireframe.Examples.Echo;
using Wireframe.Hosting;
using Wireframe.Messages;
using Wireframe.Tests.Fragmentation;
using Wireframe.Tests.Support;

namespace Wireframe.Tests.Integration;

/// <summary><see cref="WireframeOptions.MaxConcurrentConnections"/> over real TCP.</summary>
public sealed class ConnectionLimitTests
{
    private static readonly TimeSpan SafetyTimeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Connection_above_the_cap_is_closed_unanswered_counted_and_logged_and_a_freed_slot_is_served()
    {
        var disconnected = new TaskCompletionSource<DisconnectInfo>(TaskCreationOptions.RunContinuationsAsynchronously);
        var app = EchoApp.CreateRouted();
        app.Configure(o => o.MaxConcurrentConnections = 2);
        app.OnDisconnected((_, info) =>
        {
            disconnected.TrySetResult(info);
            return default;
        });
        using var logs = new LogCapture();
        await using var server = await TcpTestServer.StartAsync(app, b => b.ConfigureLogging(l => l.AddProvider(logs).SetMinimumLevel(LogLevel.Debug)));
        using var metrics = new MetricCapture(server.Server.Services);

        await using var first = await FrameSocket.ConnectAsync(server.EndPoint);
        await using var second = await FrameSocket.ConnectAsync(server.EndPoint);
        await AssertEchoesAsync(first, 1);
        await AssertEchoesAsync(second, 2);

        await using (var third = await FrameSocket.ConnectAsync(server.EndPoint))
        {
            await third.TrySendAsync(FrameSocket.Envelope(EchoApp.EchoMessageId, "ignored"u8, correlationId: 3));
            Assert.Empty(await third.ReadToEndAsync());
        }

        // The two admitted connections are untouched by the refusal.
        await AssertEchoesAsync(first, 4);
        await AssertEchoesAsync(second, 5);
        Assert.Equal(1, metrics.Sum("wireframe.server.rejected_connections"));
        Assert.Equal(1, metrics.Sum("wireframe.server.rejected_connections", "wireframe.rejection_reason", "max_concurrent_connections"));
        CapturedLog refusal = Assert.Single(logs.Wireframe(3));
        Assert.Equal(LogLevel.Warning, refusal.Level);
        Assert.Contains("MaxConcurrentConnections", refusal.Message, StringComparison.Ordinal);
        Assert.Equal(2L, refusal["Active"]);
        Assert.IsType<IPEndPoint>(refusal["RemoteEndPoint"]);

        first.Socket.Shutdown(System.Net.Sockets.SocketShutdown.Send);
        Assert.Equal(DisconnectReason.PeerClosed, (await disconnected.Task.WaitAsync(SafetyTimeout)).Reason);

        // The slot is released just after the disconnect hook returns: wait for the server to count
        // it free (a burst of immediate retries could all land before that on a busy machine), then
        // the next client must be served at the first attempt.
        var handler = server.Server.Services.GetRequiredService<WireframeConnectionHandler<Envelope>>();
        await FragmentKit.WaitUntilAsync(() => handler.ActiveConnections == 1, "the closed connection's slot is free");
        await using (var newcomer = await FrameSocket.ConnectAsync(server.EndPoint))
        {
            await newcomer.SendAsync(FrameSocket.Envelope(EchoApp.EchoMessageId, "welcome"u8, correlationId: 6));
            EnvelopeReply? reply = await newcomer.ReadEnvelopeAsync();
            Assert.NotNull(reply);
            Assert.Equal(6UL, reply.CorrelationId);
            Assert.Equal("welcome"u8.ToArray(), reply.Payload);
        }

        await AssertEchoesAsync(second, 7);
    }

    private static async Task AssertEchoesAsync(FrameSocket client, ulong correlationId)
    {
        byte[] payload = Payloads.Random(32, seed: (int)correlationId);
        await client.SendAsync(FrameSocket.Envelope(EchoApp.EchoMessageId, payload, correlationId));
        EnvelopeReply? reply = await client.ReadEnvelopeAsync();
        Assert.NotNull(reply);
        Assert.Equal(correlationId, reply.CorrelationId);
        Assert.Equal(payload, reply.Payload);
    }
}
