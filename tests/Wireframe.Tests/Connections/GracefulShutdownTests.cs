using System.Collections.Concurrent;
using Microsoft.AspNetCore.Connections;
using Wireframe.Connections;
using Wireframe.Messages;
using Wireframe.Routing;
using Wireframe.Testing;
using static Wireframe.Tests.Connections.TestKit;

namespace Wireframe.Tests.Connections;

public sealed class GracefulShutdownTests
{
    private static readonly TimeSpan Drain = TimeSpan.FromSeconds(10);

    /// <summary>Message 1 echoes; message 2 waits for <paramref name="release"/>, ignoring cancellation; shutdown says goodbye with message 900.</summary>
    private static WireframeAppBuilder<Envelope> App(TaskCompletionSource started, TaskCompletionSource release, ConcurrentQueue<DisconnectInfo> disconnects)
    {
        var app = WireframeApp.CreateBuilder()
            .Configure(o => o.ShutdownDrainTimeout = Drain)
            .OnShutdown(async conn => await conn.SendAsync(900, Utf8("goodbye")))
            .OnDisconnected((_, info) =>
            {
                disconnects.Enqueue(info);
                return ValueTask.CompletedTask;
            });
        app.Route<byte[], byte[]>(1, (request, _) => request);
        app.Route<byte[], byte[]>(2, async (request, ctx) =>
        {
            started.TrySetResult();
            await release.Task;
            return Utf8($"finished, aborted={ctx.RequestAborted.IsCancellationRequested}");
        });
        return app;
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    [Fact]
    public async Task An_idle_connection_closes_promptly_with_ServerShutdown_after_the_goodbye_frame()
    {
        ConcurrentQueue<DisconnectInfo> disconnects = new();
        await using var host = WireframeTest.CreateHost(App(NewSignal(), NewSignal(), disconnects));
        await using var client = host.Connect();
        await client.SendFrameAsync(Frame(1, "ping"));
        await client.NextFrameAsync();

        // No clock advance: idle connections do not wait for the drain deadline.
        Assert.True(await host.ShutdownAsync().Within());

        Envelope goodbye = await client.NextFrameAsync();
        Assert.Equal((900u, "goodbye"), (goodbye.MessageId, goodbye.Text()));
        Assert.Equal(DisconnectReason.ServerShutdown, (await client.ClosedAsync()).Reason);
        Assert.Empty(await client.ReadToEndAsync().Within());
        Assert.Equal(DisconnectReason.ServerShutdown, Assert.Single(disconnects).Reason);
    }

    [Fact]
    public async Task A_busy_connection_finishes_its_response_before_the_goodbye_when_it_completes_in_time()
    {
        TaskCompletionSource started = NewSignal(), release = NewSignal();
        ConcurrentQueue<DisconnectInfo> disconnects = new();
        await using var host = WireframeTest.CreateHost(App(started, release, disconnects));
        await using var client = host.Connect();
        await client.SendFrameAsync(Frame(2, "work", 7));
        await started.Task.Within();

        Task<bool> shutdown = host.ShutdownAsync();
        Assert.False(shutdown.IsCompleted);
        host.Time.Advance(Drain - TimeSpan.FromSeconds(1));
        release.SetResult();

        Envelope response = await client.NextFrameAsync();
        Assert.Equal(((ulong?)7, "finished, aborted=True"), (response.CorrelationId, response.Text()));
        Assert.Equal("goodbye", (await client.NextFrameAsync()).Text());
        Assert.Equal(DisconnectReason.ServerShutdown, (await client.ClosedAsync()).Reason);
        Assert.True(await shutdown.Within());
        Assert.Null(client.Context.AbortReason);
    }

    [Fact]
    public async Task A_handler_that_never_completes_is_aborted_at_ShutdownDrainTimeout_with_DrainTimeout()
    {
        TaskCompletionSource started = NewSignal(), release = NewSignal();
        ConcurrentQueue<DisconnectInfo> disconnects = new();
        await using var host = WireframeTest.CreateHost(App(started, release, disconnects));
        await using var client = host.Connect();
        await client.SendFrameAsync(Frame(2, "stuck"));
        await started.Task.Within();
        Task<bool> shutdown = host.ShutdownAsync();

        host.Time.Advance(Drain);

        // The transport is aborted at the deadline: the peer sees a reset, not a goodbye.
        Assert.Contains("ShutdownDrainTimeout", client.Context.AbortReason?.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<ConnectionAbortedException>(async () => await client.ReadToEndAsync().Within());

        // The handler still runs (nothing can stop a task that ignores its token), so the shutdown reports it.
        host.Time.Advance(TimeSpan.FromSeconds(1));
        Assert.False(await shutdown.Within());

        release.SetResult();
        DisconnectInfo info = await client.ClosedAsync();
        Assert.Equal(DisconnectReason.DrainTimeout, info.Reason);
        Assert.Contains("WireframeOptions.ShutdownDrainTimeout", info.Detail, StringComparison.Ordinal);
        Assert.Same(info, Assert.Single(disconnects));
    }

    [Fact]
    public async Task New_connections_during_and_after_shutdown_are_refused()
    {
        TaskCompletionSource started = NewSignal(), release = NewSignal();
        ConcurrentQueue<DisconnectInfo> disconnects = new();
        await using var host = WireframeTest.CreateHost(App(started, release, disconnects));
        await using var busy = host.Connect();
        await busy.SendFrameAsync(Frame(2, "work"));
        await started.Task.Within();
        Task<bool> shutdown = host.ShutdownAsync();

        await using var during = host.Connect();
        DisconnectInfo refused = await during.ClosedAsync();
        Assert.Equal(DisconnectReason.Refused, refused.Reason);
        Assert.Contains("shutting down", refused.Detail, StringComparison.Ordinal);
        Assert.Empty(await during.ReadToEndAsync().Within());

        release.SetResult();
        Assert.True(await shutdown.Within());
        await using var after = host.Connect();
        Assert.Equal(DisconnectReason.Refused, (await after.ClosedAsync()).Reason);

        // Refused connections never ran, so they have no teardown.
        Assert.Equal(DisconnectReason.ServerShutdown, Assert.Single(disconnects).Reason);
    }

    [Fact]
    public async Task A_connection_still_reading_its_preamble_closes_at_shutdown_without_a_goodbye()
    {
        ConcurrentQueue<DisconnectInfo> disconnects = new();
        var app = App(NewSignal(), NewSignal(), disconnects).UsePreamble(new LinePreambleReader());
        await using var host = WireframeTest.CreateHost(app);
        await using var client = host.Connect();
        await client.SendRawAsync("HELLO pa"u8.ToArray());

        Assert.True(await host.ShutdownAsync().Within());

        Assert.Equal(DisconnectReason.ServerShutdown, (await client.ClosedAsync()).Reason);
        Assert.Empty(await client.ReadToEndAsync().Within());
    }

    [Fact]
    public async Task Shutdown_with_concurrent_requests_lets_each_in_flight_request_answer_before_the_goodbye()
    {
        TaskCompletionSource release = NewSignal(), allStarted = NewSignal();
        int startedCount = 0;
        var app = WireframeApp.CreateBuilder()
            .Configure(o => o.MaxConcurrentRequestsPerConnection = 4)
            .OnShutdown(async conn => await conn.SendAsync(900, Utf8("goodbye")));
        app.Route<byte[], byte[]>(1, async (request, _) =>
        {
            if (Interlocked.Increment(ref startedCount) == 3)
            {
                allStarted.SetResult();
            }

            await release.Task;
            return request;
        });
        await using var host = WireframeTest.CreateHost(app);
        await using var client = host.Connect();
        for (ulong i = 1; i <= 3; i++)
        {
            await client.SendFrameAsync(Frame(1, $"r{i}", i));
        }

        await allStarted.Task.Within();
        Task<bool> shutdown = host.ShutdownAsync();
        release.SetResult();

        var texts = new List<string>();
        for (int i = 0; i < 4; i++)
        {
            texts.Add((await client.NextFrameAsync()).Text());
        }

        Assert.Equal(["r1", "r2", "r3"], texts.Take(3).Order());
        Assert.Equal("goodbye", texts[3]);
        Assert.True(await shutdown.Within());
        Assert.Equal(DisconnectReason.ServerShutdown, (await client.ClosedAsync()).Reason);
    }
}
