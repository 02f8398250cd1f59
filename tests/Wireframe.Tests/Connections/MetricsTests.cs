using Wireframe.Connections;
using Wireframe.Messages;
using Wireframe.Routing;
using Wireframe.Testing;
using static Wireframe.Tests.Connections.TestKit;

namespace Wireframe.Tests.Connections;

public sealed class MetricsTests
{
    private const string Active = "wireframe.server.active_connections";
    private const string Rejected = "wireframe.server.rejected_connections";
    private const string Received = "wireframe.server.frames_received";
    private const string Sent = "wireframe.server.frames_sent";
    private const string Errors = "wireframe.server.errors";
    private const string Duration = "wireframe.server.connection.duration";

    private static WireframeAppBuilder<Envelope> App()
    {
        var app = WireframeApp.CreateBuilder().Configure(o => o.HandlerExceptionPolicy = HandlerExceptionPolicy.FailRequest);
        app.Route<byte[], byte[]>(1, (request, _) => request);
        app.Route<byte[], byte[]>(2, (_, _) => Throw(new WireframeProtocolException("bad")));
        app.Route<byte[], byte[]>(3, (_, _) => Throw(new InvalidOperationException("bug")));
        app.Route<byte[]>(4, (_, _) => ValueTask.CompletedTask);
        return app;
    }

    [Fact]
    public async Task Frames_received_and_sent_and_active_connections_follow_the_traffic()
    {
        await using var host = WireframeTest.CreateHost(App());
        using var metrics = new MetricRecorder(host.Services);
        await using var client = host.Connect();
        await using var other = host.Connect();

        Assert.Equal(2, metrics.Sum(Active));
        await client.SendRawAsync((byte[])[.. EnvelopeBytes(1, "a"), .. EnvelopeBytes(1, "b"), .. EnvelopeBytes(4, "no reply")]);
        await client.SendFrameAsync(Frame(1, "c"));
        for (int i = 0; i < 3; i++)
        {
            await client.NextFrameAsync();
        }

        Assert.Equal(4, metrics.Sum(Received));
        Assert.Equal(3, metrics.Sum(Sent));

        await client.AssertNothingMoreThenCleanCloseAsync();
        Assert.Equal(1, metrics.Sum(Active));
        await other.CompleteAsync();
        await other.ClosedAsync();
        Assert.Equal(0, metrics.Sum(Active));
    }

    [Fact]
    public async Task Errors_are_counted_by_type()
    {
        await using var host = WireframeTest.CreateHost(App());
        using var metrics = new MetricRecorder(host.Services);
        await using var client = host.Connect();

        await client.SendRawAsync((byte[])[
            .. MalformedEnvelopeBytes(),
            .. EnvelopeBytes(99, "unknown"),
            .. EnvelopeBytes(2, "protocol"),
            .. EnvelopeBytes(3, "bug"),
            .. EnvelopeBytes(1, "last")]);
        await client.NextFrameAsync();
        await client.AssertNothingMoreThenCleanCloseAsync();

        Assert.Equal(1, metrics.Sum(Errors, "error.type", "frame_malformed"));
        Assert.Equal(1, metrics.Sum(Errors, "error.type", "unknown_message"));
        Assert.Equal(1, metrics.Sum(Errors, "error.type", "protocol_error"));
        Assert.Equal(1, metrics.Sum(Errors, "error.type", "handler_exception"));
        Assert.Equal(4, metrics.Sum(Errors));
    }

    [Fact]
    public async Task Oversized_frames_and_preamble_timeouts_are_counted_by_type()
    {
        var app = App().UsePreamble(new LinePreambleReader());
        await using var host = WireframeTest.CreateHost(app);
        using var metrics = new MetricRecorder(host.Services);
        await using var late = host.Connect();
        await using var silent = host.Connect();

        host.Time.Advance(app.Options.PreambleTimeout);
        Assert.Equal(DisconnectReason.PreambleTimeout, (await late.ClosedAsync()).Reason);
        Assert.Equal(DisconnectReason.PreambleTimeout, (await silent.ClosedAsync()).Reason);
        await using var third = host.Connect();
        await third.SendRawAsync((byte[])[.. "HELLO x\n"u8, .. Prefix(2 * 1024 * 1024)]);
        Assert.Equal(DisconnectReason.FrameTooLarge, (await third.ClosedAsync()).Reason);

        Assert.Equal(2, metrics.Sum(Errors, "error.type", "preamble_timeout"));
        Assert.Equal(1, metrics.Sum(Errors, "error.type", "frame_oversized"));
    }

    [Fact]
    public async Task Rejected_connections_are_counted_with_the_reason()
    {
        var app = App().Configure(o => o.MaxConcurrentConnections = 1);
        await using var host = WireframeTest.CreateHost(app);
        using var metrics = new MetricRecorder(host.Services);
        await using var open = host.Connect();
        await using var refused = host.Connect();
        Assert.Equal(DisconnectReason.Refused, (await refused.ClosedAsync()).Reason);

        Assert.True(await host.ShutdownAsync().Within());
        await using var late = host.Connect();
        Assert.Equal(DisconnectReason.Refused, (await late.ClosedAsync()).Reason);

        Assert.Equal(1, metrics.Sum(Rejected, "wireframe.rejection_reason", "max_concurrent_connections"));
        Assert.Equal(1, metrics.Sum(Rejected, "wireframe.rejection_reason", "shutting_down"));
        Assert.Equal(0, metrics.Sum(Active));
    }

    [Fact]
    public async Task Connection_duration_is_measured_on_the_application_clock_with_the_close_reason()
    {
        await using var host = WireframeTest.CreateHost(App());
        using var metrics = new MetricRecorder(host.Services);
        await using var client = host.Connect();

        host.Time.Advance(TimeSpan.FromSeconds(42));
        await client.CompleteAsync();
        await client.ClosedAsync();

        (double seconds, KeyValuePair<string, object?>[] tags) = Assert.Single(metrics.All(Duration));
        Assert.Equal(42, seconds);
        Assert.Contains(new KeyValuePair<string, object?>("wireframe.close_reason", "peer_closed"), tags);
    }

    private static byte[] Throw(Exception exception) => throw exception;
}
