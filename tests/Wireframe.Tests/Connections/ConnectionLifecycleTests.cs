using System.Net;
using Wireframe.Connections;
using Wireframe.Messages;
using Wireframe.Testing;
using static Wireframe.Tests.Connections.TestKit;

namespace Wireframe.Tests.Connections;

public sealed class ConnectionLifecycleTests
{
    [Fact]
    public async Task The_connected_hook_can_greet_the_peer_before_it_sends_anything()
    {
        var app = WireframeApp.CreateBuilder().OnConnected(async conn => await conn.SendAsync(10, Utf8("server hello v1")));
        app.Route<byte[], byte[]>(1, (request, _) => request);
        await using var host = WireframeTest.CreateHost(app);
        await using var client = host.Connect();

        // Nothing has been sent by the client yet.
        Envelope greeting = await client.NextFrameAsync();
        Assert.Equal((10u, (ulong?)null, "server hello v1"), (greeting.MessageId, greeting.CorrelationId, greeting.Text()));

        await client.SendFrameAsync(Frame(1, "login", 1));
        Assert.Equal("login", (await client.NextFrameAsync()).Text());
        await client.AssertNothingMoreThenCleanCloseAsync();
    }

    [Fact]
    public async Task State_and_items_belong_to_one_connection()
    {
        var app = WireframeApp.CreateBuilder().OnConnected(conn =>
        {
            conn.State = new int[1];
            conn.Items["greeting"] = "hi from " + conn.Id;
            return ValueTask.CompletedTask;
        });
        app.Route<byte[], byte[]>(1, (_, ctx) =>
        {
            int count = ++((int[])ctx.Connection.State!)[0];
            return Utf8($"{count} {ctx.Connection.Items["greeting"]}");
        });
        await using var host = WireframeTest.CreateHost(app);
        await using var a = host.Connect();
        await using var b = host.Connect();

        await a.SendFrameAsync(Frame(1, ""));
        await a.SendFrameAsync(Frame(1, ""));
        await b.SendFrameAsync(Frame(1, ""));

        string a1 = (await a.NextFrameAsync()).Text(), a2 = (await a.NextFrameAsync()).Text(), b1 = (await b.NextFrameAsync()).Text();
        Assert.StartsWith("1 hi from ", a1, StringComparison.Ordinal);
        Assert.StartsWith("2 hi from ", a2, StringComparison.Ordinal);
        Assert.StartsWith("1 hi from ", b1, StringComparison.Ordinal);
        Assert.Equal(a1[2..], a2[2..]);
        Assert.NotEqual(a1[2..], b1[2..]);
    }

    [Fact]
    public async Task A_connection_exposes_its_endpoints_transport_id_and_a_unique_id()
    {
        var seen = new TaskCompletionSource<WireframeConnection>(TaskCreationOptions.RunContinuationsAsynchronously);
        var app = WireframeApp.CreateBuilder().OnConnected(conn =>
        {
            seen.SetResult(conn);
            return ValueTask.CompletedTask;
        });
        await using var host = WireframeTest.CreateHost(app);
        await using var client = host.Connect();

        WireframeConnection conn = await seen.Task.Within();
        Assert.Equal(client.Context.ConnectionId, conn.TransportId);
        Assert.Equal(client.Context.RemoteEndPoint, conn.RemoteEndPoint);
        Assert.IsType<IPEndPoint>(conn.LocalEndPoint);
        Assert.Same(host.Services, conn.Services);
        Assert.True(conn.Id.Value > 0);
    }

    [Fact]
    public async Task ConnectionClosing_fires_when_the_peer_closes()
    {
        var token = new TaskCompletionSource<CancellationToken>(TaskCreationOptions.RunContinuationsAsynchronously);
        var app = WireframeApp.CreateBuilder().OnConnected(conn =>
        {
            token.SetResult(conn.ConnectionClosing);
            return ValueTask.CompletedTask;
        });
        await using var host = WireframeTest.CreateHost(app);
        await using var client = host.Connect();
        CancellationToken closing = await token.Task.Within();
        Assert.False(closing.IsCancellationRequested);

        await client.CompleteAsync();
        await client.ClosedAsync();

        Assert.True(closing.IsCancellationRequested);
    }

    [Fact]
    public async Task ConnectionClosing_fires_on_shutdown_so_a_handler_honouring_it_ends_without_a_handler_failure()
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var app = WireframeApp.CreateBuilder();
        app.Route<byte[], byte[]>(1, async (request, ctx) =>
        {
            started.SetResult();
            await Task.Delay(Timeout.Infinite, ctx.RequestAborted);
            return request;
        });
        await using var host = WireframeTest.CreateHost(app);
        await using var client = host.Connect();
        await client.SendFrameAsync(Frame(1, "wait"));
        await started.Task.Within();

        bool drained = await host.ShutdownAsync().Within();

        Assert.True(drained);
        Assert.Equal(DisconnectReason.ServerShutdown, (await client.ClosedAsync()).Reason);
        Assert.Empty(await client.ReadToEndAsync().Within());
    }
}
