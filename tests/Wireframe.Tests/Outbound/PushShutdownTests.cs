using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Wireframe.Connections;
using Wireframe.Diagnostics;
using Wireframe.Messages;
using Wireframe.Outbound;
using Wireframe.Testing;
using Wireframe.Tests.Support;
using static Wireframe.Tests.Connections.TestKit;
using static Wireframe.Tests.Outbound.PushKit;

namespace Wireframe.Tests.Outbound;

/// <summary>
/// A peer that stops reading while pushes are queued: slow-consumer eviction, graceful shutdown and
/// the drain deadline. In every test, frame 0 holds the writer in a flush the client has not read.
/// </summary>
public sealed class PushShutdownTests
{
    private const string Dropped = "wireframe.server.frames_dropped";
    private const string DropReason = "wireframe.drop_reason";
    private static readonly TimeSpan SlowConsumerTimeout = TimeSpan.FromSeconds(7);
    private static readonly TimeSpan Drain = TimeSpan.FromSeconds(5);

    private static WireframeTestHost<Envelope> Host(out PushProbe probe, LogCapture logs, TimeProvider? clock = null, Action<WireframeOptions>? configure = null) =>
        WireframeTest.CreateHost(CreateApp(out probe, configure), services =>
        {
            services.AddLogging(b => b.AddProvider(logs).SetMinimumLevel(LogLevel.Debug));
            if (clock is not null)
            {
                services.AddSingleton(clock);
            }
        });

    /// <summary>Pushes frame 0 and waits until it holds the writer, then queues frames 1 and 2 behind it.</summary>
    private static async Task<PushSession> StuckWithQueuedPushesAsync(TestConnection<Envelope> client, PushProbe probe)
    {
        PushSession session = await probe.NextSessionAsync();
        Assert.Equal(PushResult.Queued, session.Pushes.TryPush(Push(0)));
        await client.WaitForServerBytesAsync();
        Assert.Equal(PushResult.Queued, session.Pushes.TryPush(Push(1)));
        Assert.Equal(PushResult.Queued, session.Pushes.TryPush(Push(2), PushPriority.Low));
        return session;
    }

    [Fact]
    public async Task A_peer_that_stops_reading_is_evicted_after_SlowConsumerTimeout_and_its_queued_pushes_are_counted_as_dropped()
    {
        var clock = new ArmTrackingClock();
        using var logs = new LogCapture();
        await using var host = Host(out PushProbe probe, logs, clock, o => o.SlowConsumerTimeout = SlowConsumerTimeout);
        using var metrics = new MetricCapture(host.Services);
        await using var client = host.Connect(PausedPipe);
        PushSession session = await StuckWithQueuedPushesAsync(client, probe);

        // The writer started its slow-consumer clock when its flush had to wait; time passes only now.
        await clock.ArmedAsync(SlowConsumerTimeout);
        clock.Advance(SlowConsumerTimeout - TimeSpan.FromSeconds(1));
        Assert.False(client.Closed.IsCompleted);
        clock.Advance(TimeSpan.FromSeconds(1));

        DisconnectInfo info = await client.ClosedAsync();
        Assert.Equal(DisconnectReason.SlowConsumer, info.Reason);
        Assert.Contains("SlowConsumerTimeout", info.Detail, StringComparison.Ordinal);
        Assert.NotNull(client.Context.AbortReason);
        CapturedLog warning = Assert.Single(logs.Wireframe(403));
        Assert.Equal(LogLevel.Warning, warning.Level);
        Assert.Equal(session.Connection.Id.Value, warning["ConnectionId"]);
        Assert.Equal(1, metrics.Errors(ErrorTypes.SlowConsumer));

        // Frames 1 and 2 were queued but never written: an abort drops them, counted as closed.
        Assert.Equal(2, metrics.Sum(Dropped, DropReason, DropReasons.Closed));
        Assert.False(session.Pushes.IsConnected);
        Assert.Equal(PushResult.Closed, session.Pushes.TryPush(Push(3)));
    }

    [Fact]
    public async Task Graceful_shutdown_still_delivers_pushes_queued_before_it_then_closes_with_ServerShutdown()
    {
        using var logs = new LogCapture();
        await using var host = Host(out PushProbe probe, logs, configure: o => o.ShutdownDrainTimeout = Drain);
        await using var client = host.Connect(PausedPipe);
        PushSession session = await StuckWithQueuedPushesAsync(client, probe);

        Task<bool> shutdown = host.ShutdownAsync();
        Assert.Equal(PushResult.Closed, session.Pushes.TryPush(Push(3)));

        Assert.Equal([0u, 1u, 2u], (await client.ReadFramesAsync(3)).Select(f => f.MessageId));
        Assert.Empty(await client.ReadToEndAsync().Within());
        Assert.Equal(DisconnectReason.ServerShutdown, (await client.ClosedAsync()).Reason);
        Assert.True(await shutdown.Within());
    }

    /// <summary>
    /// The drain deadline keeps running after the read loop has ended, while the writer's final
    /// delivery waits for a peer that does not read (a regression test: it once stopped there).
    /// </summary>
    [Fact]
    public async Task Graceful_shutdown_aborts_a_connection_whose_writer_is_stuck_on_a_push_at_the_drain_deadline()
    {
        using var logs = new LogCapture();
        await using var host = Host(out PushProbe probe, logs, configure: o => o.ShutdownDrainTimeout = Drain);
        using var metrics = new MetricCapture(host.Services);
        await using var client = host.Connect(PausedPipe);
        PushSession session = await StuckWithQueuedPushesAsync(client, probe);

        Task<bool> shutdown = host.ShutdownAsync();

        // No request is running, so the read loop ends at once and the connection's completion queues
        // behind the stuck writer. Only then does the drain deadline pass.
        WaitForWriterWaiter(session.Connection);
        host.Time.Advance(Drain);

        Assert.Equal(DisconnectReason.DrainTimeout, (await client.ClosedAsync()).Reason);
        Assert.True(await shutdown.Within());
        Assert.NotNull(client.Context.AbortReason);
        Assert.Single(logs.Wireframe(7));
        Assert.Equal(1, metrics.Errors(ErrorTypes.DrainTimeout));
        Assert.Equal(2, metrics.Sum(Dropped, DropReason, DropReasons.Closed));
    }

    /// <summary>
    /// The connection counts as finished only after its writer has completed, so a peer that stops
    /// reading while the connection is closing is still evicted (a regression test).
    /// </summary>
    [Fact]
    public async Task SlowConsumerTimeout_still_evicts_a_peer_that_does_not_read_while_its_connection_is_closing()
    {
        var clock = new ArmTrackingClock();
        using var logs = new LogCapture();
        await using var host = Host(out PushProbe probe, logs, clock, o => o.SlowConsumerTimeout = SlowConsumerTimeout);
        using var metrics = new MetricCapture(host.Services);
        await using var client = host.Connect(PausedPipe);
        PushSession session = await StuckWithQueuedPushesAsync(client, probe);
        await clock.ArmedAsync(SlowConsumerTimeout);

        session.Connection.Close();
        WaitForWriterWaiter(session.Connection);
        clock.Advance(SlowConsumerTimeout);

        Assert.Equal(DisconnectReason.SlowConsumer, (await client.ClosedAsync()).Reason);
        Assert.Single(logs.Wireframe(403));
        Assert.Equal(1, metrics.Errors(ErrorTypes.SlowConsumer));
    }
}
