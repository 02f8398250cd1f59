using System.Collections.Concurrent;
using Wireframe.Connections;
using Wireframe.Messages;
using Wireframe.Routing;
using Wireframe.Testing;
using static Wireframe.Tests.Connections.TestKit;

namespace Wireframe.Tests.Connections;

public sealed class HandlerExceptionPolicyTests
{
    /// <summary>Message 1 echoes; message 2 throws a bug; message 3 throws a protocol error.</summary>
    private static WireframeAppBuilder<Envelope> App(ConcurrentQueue<Exception> requestErrors, ConcurrentQueue<DisconnectInfo> disconnects)
    {
        var app = WireframeApp.CreateBuilder()
            .OnRequestError(async (ctx, ex) =>
            {
                requestErrors.Enqueue(ex);
                await ctx.ReplyAsync(500, Utf8(ex.Message));
            })
            .OnDisconnected((_, info) =>
            {
                disconnects.Enqueue(info);
                return ValueTask.CompletedTask;
            });
        app.Route<byte[], byte[]>(1, (request, _) => request);
        app.Route<byte[], byte[]>(2, async (_, _) =>
        {
            await Task.Yield();
            throw new InvalidOperationException("handler bug");
        });
        app.Route<byte[], byte[]>(3, (_, _) => Throw(new WireframeProtocolException(7, "bad request")));
        return app;
    }

    [Fact]
    public async Task CloseConnection_ends_the_connection_with_HandlerFailed_and_the_disconnect_hook_still_runs()
    {
        ConcurrentQueue<Exception> errors = new();
        ConcurrentQueue<DisconnectInfo> disconnects = new();
        await using var host = WireframeTest.CreateHost(App(errors, disconnects));
        await using var client = host.Connect();

        await client.SendRawAsync((byte[])[.. EnvelopeBytes(1, "before", 1), .. EnvelopeBytes(2, "boom", 2), .. EnvelopeBytes(1, "never", 3)]);

        Assert.Equal("before", (await client.NextFrameAsync()).Text());
        DisconnectInfo info = await client.ClosedAsync();
        Assert.Equal(DisconnectReason.HandlerFailed, info.Reason);
        Assert.Equal("handler bug", info.Exception?.Message);
        Assert.Contains("message 2", info.Detail, StringComparison.Ordinal);
        Assert.Same(info, Assert.Single(disconnects));
        Assert.Empty(errors);
        Assert.Empty(await client.ReadToEndAsync().Within());
    }

    [Fact]
    public async Task FailRequest_calls_the_request_error_hook_and_the_next_request_on_the_connection_works()
    {
        ConcurrentQueue<Exception> errors = new();
        ConcurrentQueue<DisconnectInfo> disconnects = new();
        var app = App(errors, disconnects).Configure(o => o.HandlerExceptionPolicy = HandlerExceptionPolicy.FailRequest);
        await using var host = WireframeTest.CreateHost(app);
        await using var client = host.Connect();

        await client.SendFrameAsync(Frame(2, "boom", 1));
        await client.SendFrameAsync(Frame(1, "after", 2));

        Envelope error = await client.NextFrameAsync();
        Assert.Equal((500u, (ulong?)1, "handler bug"), (error.MessageId, error.CorrelationId, error.Text()));
        Envelope answer = await client.NextFrameAsync();
        Assert.Equal(((ulong?)2, "after"), (answer.CorrelationId, answer.Text()));
        await client.AssertNothingMoreThenCleanCloseAsync();
        Assert.IsType<InvalidOperationException>(Assert.Single(errors));
    }

    [Theory]
    [InlineData(HandlerExceptionPolicy.CloseConnection)]
    [InlineData(HandlerExceptionPolicy.FailRequest)]
    public async Task A_protocol_exception_always_keeps_the_connection_open(HandlerExceptionPolicy policy)
    {
        ConcurrentQueue<Exception> errors = new();
        ConcurrentQueue<DisconnectInfo> disconnects = new();
        var app = App(errors, disconnects).Configure(o => o.HandlerExceptionPolicy = policy);
        await using var host = WireframeTest.CreateHost(app);
        await using var client = host.Connect();

        await client.SendFrameAsync(Frame(3, "bad", 1));
        await client.SendFrameAsync(Frame(1, "good", 2));

        Envelope error = await client.NextFrameAsync();
        Assert.Equal((500u, (ulong?)1, "bad request"), (error.MessageId, error.CorrelationId, error.Text()));
        Assert.Equal("good", (await client.NextFrameAsync()).Text());
        await client.AssertNothingMoreThenCleanCloseAsync();
        Assert.Equal(7, Assert.IsType<WireframeProtocolException>(Assert.Single(errors)).Code);
    }

    [Fact]
    public async Task A_protocol_exception_without_an_error_hook_sends_nothing_and_keeps_the_connection()
    {
        var app = WireframeApp.CreateBuilder();
        app.Route<byte[], byte[]>(1, (request, _) => request.Length == 0 ? throw new WireframeProtocolException("empty") : request);
        await using var host = WireframeTest.CreateHost(app);
        await using var client = host.Connect();

        await client.SendFrameAsync(Frame(1, "", 1));
        await client.SendFrameAsync(Frame(1, "x", 2));

        Assert.Equal((ulong?)2, (await client.NextFrameAsync()).CorrelationId);
        await client.AssertNothingMoreThenCleanCloseAsync();
    }

    [Fact]
    public async Task A_request_error_hook_that_throws_closes_the_connection_with_HookFailed()
    {
        var app = WireframeApp.CreateBuilder().OnRequestError((_, _) => throw new InvalidOperationException("hook bug"));
        app.Route<byte[], byte[]>(1, (_, _) => Throw(new WireframeProtocolException("bad")));
        await using var host = WireframeTest.CreateHost(app);
        await using var client = host.Connect();

        await client.SendFrameAsync(Frame(1, "x"));

        DisconnectInfo info = await client.ClosedAsync();
        Assert.Equal(DisconnectReason.HookFailed, info.Reason);
        Assert.Contains("request error", info.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task In_concurrent_mode_a_handler_exception_still_closes_with_HandlerFailed_after_other_requests_finish()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var app = WireframeApp.CreateBuilder().Configure(o => o.MaxConcurrentRequestsPerConnection = 4);
        app.Route<byte[], byte[]>(1, async (request, _) =>
        {
            started.SetResult();
            await release.Task;
            return request;
        });
        app.Route<byte[], byte[]>(2, (_, _) => Throw(new InvalidOperationException("bug")));
        await using var host = WireframeTest.CreateHost(app);
        await using var client = host.Connect();

        await client.SendFrameAsync(Frame(1, "slow", 1));
        await started.Task.Within();
        await client.SendFrameAsync(Frame(2, "boom", 2));

        // The in-flight request is not abandoned: it completes and its response is delivered.
        release.SetResult();
        Assert.Equal("slow", (await client.NextFrameAsync()).Text());
        Assert.Equal(DisconnectReason.HandlerFailed, (await client.ClosedAsync()).Reason);
    }

    /// <summary>A synchronous handler body that throws; a bare throw lambda fits both sync and async Route overloads.</summary>
    private static byte[] Throw(Exception exception) => throw exception;
}
