using Wireframe.Connections;
using Wireframe.Messages;
using Wireframe.Routing;
using Wireframe.Testing;
using Wireframe.Tests.Connections;
using static Wireframe.Tests.Connections.TestKit;

namespace Wireframe.Tests.Routing;

public sealed class UnknownMessagePolicyTests
{
    private static WireframeAppBuilder<Envelope> EchoOnOne()
    {
        var app = WireframeApp.CreateBuilder();
        app.Route<byte[], byte[]>(1, (request, _) => request);
        return app;
    }

    [Fact]
    public async Task Ignore_sends_nothing_back_and_the_next_request_is_still_answered()
    {
        var app = EchoOnOne();
        Assert.Equal(UnknownMessagePolicy.Ignore, app.Options.UnknownMessagePolicy);
        await using var host = WireframeTest.CreateHost(app);
        await using var client = host.Connect();

        await client.SendFrameAsync(Frame(99, "nobody", 1));
        await client.SendFrameAsync(Frame(1, "known", 2));

        Envelope answer = await client.NextFrameAsync();
        Assert.Equal((1u, (ulong?)2, "known"), (answer.MessageId, answer.CorrelationId, answer.Text()));
        await client.AssertNothingMoreThenCleanCloseAsync();
    }

    [Fact]
    public async Task Reply_hands_the_frame_to_the_hook_whose_reply_carries_the_request_correlation_id()
    {
        var app = EchoOnOne().OnUnknownMessage(async ctx => await ctx.ReplyAsync(500, Utf8($"no route for {ctx.MessageId}: {ctx.Payload.Text()}")));
        Assert.Equal(UnknownMessagePolicy.Reply, app.Options.UnknownMessagePolicy);
        await using var host = WireframeTest.CreateHost(app);
        await using var client = host.Connect();

        await client.SendFrameAsync(Frame(99, "hello", 77));
        await client.SendFrameAsync(Frame(1, "known", 78));

        Envelope reply = await client.NextFrameAsync();
        Assert.Equal((500u, (ulong?)77, "no route for 99: hello"), (reply.MessageId, reply.CorrelationId, reply.Text()));
        Envelope answer = await client.NextFrameAsync();
        Assert.Equal((ulong?)78, answer.CorrelationId);
        await client.AssertNothingMoreThenCleanCloseAsync();
    }

    [Fact]
    public async Task Close_ends_the_connection_with_UnknownMessage_after_answering_what_came_before()
    {
        var app = EchoOnOne().Configure(o => o.UnknownMessagePolicy = UnknownMessagePolicy.Close);
        await using var host = WireframeTest.CreateHost(app);
        await using var client = host.Connect();

        await client.SendRawAsync((byte[])[.. EnvelopeBytes(1, "first", 1), .. EnvelopeBytes(99, "nobody", 2), .. EnvelopeBytes(1, "never", 3)]);

        Assert.Equal("first", (await client.NextFrameAsync()).Text());
        DisconnectInfo info = await client.ClosedAsync();
        Assert.Equal(DisconnectReason.UnknownMessage, info.Reason);
        Assert.Contains("99", info.Detail, StringComparison.Ordinal);
        Assert.Contains("WireframeOptions.UnknownMessagePolicy", info.Detail, StringComparison.Ordinal);
        Assert.Empty(await client.ReadToEndAsync().Within());
    }

    [Fact]
    public async Task Ids_above_the_dense_table_are_routed_and_unknown_ones_near_them_are_not()
    {
        var app = WireframeApp.CreateBuilder().Configure(o => o.UnknownMessagePolicy = UnknownMessagePolicy.Close);
        app.Route<byte[], byte[]>(uint.MaxValue, (request, _) => request);
        app.Route<byte[], byte[]>(5000, (request, _) => request);
        await using var host = WireframeTest.CreateHost(app);
        await using var client = host.Connect();

        await client.SendFrameAsync(Frame(uint.MaxValue, "max"));
        await client.SendFrameAsync(Frame(5000, "5000"));
        await client.SendFrameAsync(Frame(5001, "5001"));

        Envelope max = await client.NextFrameAsync();
        Assert.Equal((uint.MaxValue, "max"), (max.MessageId, max.Text()));
        Assert.Equal("5000", (await client.NextFrameAsync()).Text());
        Assert.Equal(DisconnectReason.UnknownMessage, (await client.ClosedAsync()).Reason);
    }
}
