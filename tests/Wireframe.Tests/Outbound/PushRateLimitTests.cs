using Wireframe.Connections;
using Wireframe.Messages;
using Wireframe.Outbound;
using Wireframe.Testing;
using Wireframe.Tests.Support;
using static Wireframe.Tests.Connections.TestKit;
using static Wireframe.Tests.Outbound.PushKit;

namespace Wireframe.Tests.Outbound;

/// <summary>
/// <see cref="WireframeOptions.PushRateLimit"/>: a per-connection token bucket shared by both priorities,
/// refilled by one timer per application on the application's clock.
/// </summary>
/// <remarks>
/// The period is an hour of the manual clock, so only advancing that clock can legitimately refill a
/// bucket: the real time a test takes is nothing next to it.
/// </remarks>
public sealed class PushRateLimitTests
{
    private const int Burst = 2;
    private static readonly TimeSpan Period = TimeSpan.FromHours(1);

    private static WireframeTestHost<Envelope> Host(out PushProbe probe)
    {
        var app = CreateApp(out probe, o => o.PushRateLimit = new PushRateLimit(PermitsPerPeriod: 1, Period, Burst));
        app.Route<byte[], byte[]>(1, (request, _) => request);
        return WireframeTest.CreateHost(app);
    }

    /// <summary>Uses up the burst with one high and one low push (the bucket is shared) and reads them.</summary>
    private static async Task<PushHandle<Envelope>> SpendBurstAsync(TestConnection<Envelope> client, PushProbe probe)
    {
        PushHandle<Envelope> pushes = (await probe.NextSessionAsync()).Pushes;
        Assert.Equal(PushResult.Queued, pushes.TryPush(Frame(1, "first"), PushPriority.High));
        Assert.Equal(PushResult.Queued, await pushes.PushAsync(Frame(2, "second"), PushPriority.Low).Within());
        Assert.Equal(["first", "second"], [(await client.NextFrameAsync()).Text(), (await client.NextFrameAsync()).Text()]);
        return pushes;
    }

    /// <summary>A request's response is the next frame: nothing pushed is pending on the wire before it.</summary>
    private static async Task AssertNextFrameIsTheResponseAsync(TestConnection<Envelope> client, ulong correlationId)
    {
        await client.SendFrameAsync(Frame(1, "echo", correlationId));
        Envelope next = await client.NextFrameAsync();
        Assert.Equal((correlationId, "echo"), (next.CorrelationId, next.Text()));
    }

    [Fact]
    public async Task TryPush_returns_RateLimited_once_the_burst_is_spent_counts_it_and_sends_nothing()
    {
        await using var host = Host(out PushProbe probe);
        using var metrics = new MetricCapture(host.Services);
        await using var client = host.Connect();
        PushHandle<Envelope> pushes = await SpendBurstAsync(client, probe);

        Assert.Equal(PushResult.RateLimited, pushes.TryPush(Frame(3, "third"), PushPriority.High, PushFullPolicy.ReturnError));
        Assert.Equal(PushResult.RateLimited, pushes.TryPush(4, new Notice("typed", 4), PushPriority.Low, PushFullPolicy.Drop));

        Assert.Equal(2, metrics.Sum("wireframe.server.frames_dropped", "wireframe.drop_reason", DropReasons.RateLimited));
        await AssertNextFrameIsTheResponseAsync(client, 5);
    }

    [Fact]
    public async Task Each_connection_has_its_own_bucket()
    {
        await using var host = Host(out PushProbe probe);
        await using var first = host.Connect();
        PushHandle<Envelope> firstPushes = await SpendBurstAsync(first, probe);
        await using var second = host.Connect();
        PushHandle<Envelope> secondPushes = await SpendBurstAsync(second, probe);

        Assert.Equal(PushResult.RateLimited, firstPushes.TryPush(Frame(3, "third")));
        Assert.Equal(PushResult.RateLimited, secondPushes.TryPush(Frame(3, "third")));
    }

    [Fact]
    public async Task PushAsync_waits_for_a_permit_and_is_released_when_the_apps_clock_advances_one_period()
    {
        await using var host = Host(out PushProbe probe);
        using var metrics = new MetricCapture(host.Services);
        await using var client = host.Connect();
        PushHandle<Envelope> pushes = await SpendBurstAsync(client, probe);

        ValueTask<PushResult> waiting = pushes.PushAsync(Frame(3, "third"), PushPriority.Low);
        Assert.False(waiting.IsCompleted, "The burst is spent: the push must wait for a permit.");
        await AssertNextFrameIsTheResponseAsync(client, 5);

        host.Time.Advance(Period);

        Assert.Equal(PushResult.Queued, await waiting.Within());
        Assert.Equal("third", (await client.NextFrameAsync()).Text());
        Assert.Equal(0, metrics.Sum("wireframe.server.frames_dropped"));
    }

    [Fact]
    public async Task TryPush_gets_a_permit_again_once_the_apps_clock_advances_one_period()
    {
        await using var host = Host(out PushProbe probe);
        await using var client = host.Connect();
        PushHandle<Envelope> pushes = await SpendBurstAsync(client, probe);
        Assert.Equal(PushResult.RateLimited, pushes.TryPush(Frame(3, "too soon")));

        host.Time.Advance(Period);

        Assert.Equal(PushResult.Queued, pushes.TryPush(Frame(4, "after a period")));
        Assert.Equal("after a period", (await client.NextFrameAsync()).Text());
    }

    [Fact]
    public async Task A_push_waiting_for_a_permit_returns_Closed_when_the_connection_ends()
    {
        await using var host = Host(out PushProbe probe);
        await using var client = host.Connect();
        PushHandle<Envelope> pushes = await SpendBurstAsync(client, probe);
        ValueTask<PushResult> waiting = pushes.PushAsync(Frame(3, "never"));
        Assert.False(waiting.IsCompleted);

        await client.CompleteAsync();
        Assert.Equal(DisconnectReason.PeerClosed, (await client.ClosedAsync()).Reason);

        Assert.Equal(PushResult.Closed, await waiting.Within());
        Assert.Empty(await client.ReadToEndAsync().Within());
    }

    [Fact]
    public async Task A_burst_of_high_priority_pushes_spends_the_shared_bucket_so_a_low_push_waits_for_the_refill()
    {
        await using var host = Host(out PushProbe probe);
        await using var client = host.Connect();
        PushHandle<Envelope> pushes = (await probe.NextSessionAsync()).Pushes;
        Assert.Equal(PushResult.Queued, pushes.TryPush(Frame(1, "high 1"), PushPriority.High));
        Assert.Equal(PushResult.Queued, pushes.TryPush(Frame(2, "high 2"), PushPriority.High));

        ValueTask<PushResult> low = pushes.PushAsync(Frame(3, "low"), PushPriority.Low);
        Assert.False(low.IsCompleted, "The high-priority burst spent the permits the low queue shares.");
        Assert.Equal(["high 1", "high 2"], [(await client.NextFrameAsync()).Text(), (await client.NextFrameAsync()).Text()]);
        Assert.Equal(PushResult.RateLimited, pushes.TryPush(Frame(4, "high 3"), PushPriority.High));

        host.Time.Advance(Period);

        Assert.Equal(PushResult.Queued, await low.Within());
        Assert.Equal("low", (await client.NextFrameAsync()).Text());
    }
}
