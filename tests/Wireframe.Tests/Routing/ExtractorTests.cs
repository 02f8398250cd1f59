using Wireframe.Connections;
using Wireframe.Messages;
using Wireframe.Routing;
using Wireframe.Testing;
using Wireframe.Tests.Connections;
using static Wireframe.Tests.Connections.TestKit;

namespace Wireframe.Tests.Routing;

public sealed class ExtractorTests
{
    /// <summary>Payloads look like "token:&lt;value&gt;|&lt;body&gt;"; anything else is rejected with code 401.</summary>
    private static ValueTask<SessionToken> ParseToken(RequestContext ctx)
    {
        string text = ctx.Payload.Text();
        int bar = text.IndexOf('|', StringComparison.Ordinal);
        return text.StartsWith("token:", StringComparison.Ordinal) && bar > 6
            ? ValueTask.FromResult(new SessionToken(text[6..bar]))
            : throw new WireframeProtocolException(401, "missing session token");
    }

    private static WireframeAppBuilder<Envelope> App(List<Exception> errors)
    {
        var app = WireframeApp.CreateBuilder()
            .AddExtractor<SessionToken>(ParseToken)
            .OnRequestError(async (ctx, ex) =>
            {
                errors.Add(ex);
                await ctx.ReplyAsync(999, Utf8($"{(ex as WireframeProtocolException)?.Code}: {ex.Message}"));
            });
        app.Route<byte[], SessionToken, byte[]>(1, (request, token, _) => ValueTask.FromResult(Utf8($"hello {token.Value}")));
        return app;
    }

    [Fact]
    public async Task An_extractor_supplies_a_parameter_parsed_from_the_payload()
    {
        await using var host = WireframeTest.CreateHost(App([]));
        await using var client = host.Connect();

        await client.SendFrameAsync(Frame(1, "token:alice|body", 1));

        Envelope answer = await client.NextFrameAsync();
        Assert.Equal(((ulong?)1, "hello alice"), (answer.CorrelationId, answer.Text()));
    }

    [Fact]
    public async Task An_extractor_throwing_a_protocol_exception_fails_only_that_request()
    {
        var errors = new List<Exception>();
        await using var host = WireframeTest.CreateHost(App(errors));
        await using var client = host.Connect();

        await client.SendFrameAsync(Frame(1, "no token here", 1));
        await client.SendFrameAsync(Frame(1, "token:bob|body", 2));

        Envelope error = await client.NextFrameAsync();
        Assert.Equal((999u, (ulong?)1, "401: missing session token"), (error.MessageId, error.CorrelationId, error.Text()));
        Envelope answer = await client.NextFrameAsync();
        Assert.Equal(((ulong?)2, "hello bob"), (answer.CorrelationId, answer.Text()));
        await client.AssertNothingMoreThenCleanCloseAsync();
        Assert.IsType<WireframeProtocolException>(Assert.Single(errors));
    }

    [Fact]
    public async Task An_asynchronous_extractor_class_can_use_connection_state()
    {
        var app = WireframeApp.CreateBuilder()
            .AddExtractor(new ConnectionUserExtractor())
            .OnConnected(conn =>
            {
                conn.State = "carol";
                return ValueTask.CompletedTask;
            });
        app.Route<byte[], SessionToken, byte[]>(1, async (request, user, _) =>
        {
            await Task.Yield();
            return Utf8($"{user.Value}:{System.Text.Encoding.UTF8.GetString(request)}");
        });
        await using var host = WireframeTest.CreateHost(app);
        await using var client = host.Connect();

        await client.SendFrameAsync(Frame(1, "x"));

        Assert.Equal("carol:x", (await client.NextFrameAsync()).Text());
    }

    [Fact]
    public async Task An_extractor_throwing_an_unexpected_exception_follows_the_handler_exception_policy()
    {
        var app = WireframeApp.CreateBuilder().AddExtractor<SessionToken>(_ => throw new InvalidOperationException("extractor bug"));
        app.Route<byte[], SessionToken, byte[]>(1, (request, _, _) => ValueTask.FromResult(request));
        await using var host = WireframeTest.CreateHost(app);
        await using var client = host.Connect();

        await client.SendFrameAsync(Frame(1, "x"));

        DisconnectInfo info = await client.ClosedAsync();
        Assert.Equal(DisconnectReason.HandlerFailed, info.Reason);
        Assert.Equal("extractor bug", info.Exception?.Message);
    }

    private sealed class ConnectionUserExtractor : IRequestExtractor<SessionToken>
    {
        public async ValueTask<SessionToken> ExtractAsync(RequestContext context)
        {
            await Task.Yield();
            return new SessionToken((string)context.Connection.State!);
        }
    }
}
