using System.Collections.Concurrent;
using Wireframe.Connections;
using Wireframe.Messages;
using Wireframe.Routing;
using Wireframe.Testing;
using Wireframe.Tests.Connections;
using static Wireframe.Tests.Connections.TestKit;

namespace Wireframe.Tests.Routing;

public sealed class MiddlewareTests
{
    [Fact]
    public async Task The_first_middleware_registered_is_the_outermost()
    {
        var log = new ConcurrentQueue<string>();
        var app = WireframeApp.CreateBuilder();
        foreach (string name in new[] { "A", "B", "C" })
        {
            app.Use(async (ctx, next) =>
            {
                log.Enqueue(name + ">");
                await Task.Yield();
                await next(ctx);
                log.Enqueue("<" + name);
            });
        }

        app.Route<byte[], byte[]>(1, (request, _) =>
        {
            log.Enqueue("handler");
            return request;
        });
        await using var host = WireframeTest.CreateHost(app);
        await using var client = host.Connect();

        await client.SendFrameAsync(Frame(1, "x"));
        await client.NextFrameAsync();
        await client.AssertNothingMoreThenCleanCloseAsync();

        Assert.Equal(["A>", "B>", "C>", "handler", "<C", "<B", "<A"], log);
    }

    [Fact]
    public async Task A_middleware_that_does_not_call_next_short_circuits_the_handler()
    {
        int handled = 0;
        var app = WireframeApp.CreateBuilder()
            .Use(async (ctx, next) =>
            {
                if (ctx.Payload.Text() == "denied")
                {
                    await ctx.ReplyAsync(403, Utf8("forbidden"));
                    return;
                }

                await next(ctx);
            });
        app.Route<byte[], byte[]>(1, (request, _) =>
        {
            Interlocked.Increment(ref handled);
            return request;
        });
        await using var host = WireframeTest.CreateHost(app);
        await using var client = host.Connect();

        await client.SendFrameAsync(Frame(1, "denied", 1));
        await client.SendFrameAsync(Frame(1, "allowed", 2));

        Envelope refusal = await client.NextFrameAsync();
        Assert.Equal((403u, (ulong?)1, "forbidden"), (refusal.MessageId, refusal.CorrelationId, refusal.Text()));
        Envelope answer = await client.NextFrameAsync();
        Assert.Equal(((ulong?)2, "allowed"), (answer.CorrelationId, answer.Text()));
        await client.AssertNothingMoreThenCleanCloseAsync();
        Assert.Equal(1, handled);
    }

    [Fact]
    public async Task A_middleware_exception_closes_the_connection_under_CloseConnection()
    {
        var app = WireframeApp.CreateBuilder().Use((_, _) => throw new InvalidOperationException("middleware bug"));
        app.Route<byte[], byte[]>(1, (request, _) => request);
        await using var host = WireframeTest.CreateHost(app);
        await using var client = host.Connect();

        await client.SendFrameAsync(Frame(1, "x"));

        DisconnectInfo info = await client.ClosedAsync();
        Assert.Equal(DisconnectReason.HandlerFailed, info.Reason);
        Assert.IsType<InvalidOperationException>(info.Exception);
    }

    [Fact]
    public async Task A_middleware_exception_fails_only_the_request_under_FailRequest()
    {
        var errors = new ConcurrentQueue<Exception>();
        var app = WireframeApp.CreateBuilder()
            .Configure(o => o.HandlerExceptionPolicy = HandlerExceptionPolicy.FailRequest)
            .OnRequestError(async (ctx, ex) =>
            {
                errors.Enqueue(ex);
                await ctx.ReplyAsync(500, Utf8(ex.Message));
            })
            .Use(async (ctx, next) =>
            {
                await Task.Yield();
                if (ctx.Payload.Text() == "boom")
                {
                    throw new InvalidOperationException("middleware bug");
                }

                await next(ctx);
            });
        app.Route<byte[], byte[]>(1, (request, _) => request);
        await using var host = WireframeTest.CreateHost(app);
        await using var client = host.Connect();

        await client.SendFrameAsync(Frame(1, "boom", 1));
        await client.SendFrameAsync(Frame(1, "fine", 2));

        Envelope error = await client.NextFrameAsync();
        Assert.Equal((500u, (ulong?)1, "middleware bug"), (error.MessageId, error.CorrelationId, error.Text()));
        Assert.Equal("fine", (await client.NextFrameAsync()).Text());
        await client.AssertNothingMoreThenCleanCloseAsync();
        Assert.IsType<InvalidOperationException>(Assert.Single(errors));
    }

    [Fact]
    public async Task A_factory_middleware_wraps_the_pipeline_once_and_sees_unknown_messages_too()
    {
        int built = 0;
        var seen = new ConcurrentQueue<uint>();
        var app = WireframeApp.CreateBuilder().Use(next =>
        {
            Interlocked.Increment(ref built);
            return ctx =>
            {
                seen.Enqueue(ctx.MessageId);
                return next(ctx);
            };
        });
        app.Route<byte[], byte[]>(1, (request, _) => request);
        await using var host = WireframeTest.CreateHost(app);
        await using var client = host.Connect();

        await client.SendFrameAsync(Frame(42, "unknown"));
        await client.SendFrameAsync(Frame(1, "known"));
        await client.NextFrameAsync();
        await client.AssertNothingMoreThenCleanCloseAsync();

        Assert.Equal(1, built);
        Assert.Equal([42u, 1u], seen);
    }
}
