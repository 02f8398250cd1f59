using Wireframe.Framing;
using System.Collections.Concurrent;
using System.Text;
using Wireframe.Connections;
using Wireframe.Messages;
using Wireframe.Preamble;
using Wireframe.Routing;
using Wireframe.Testing;
using static Wireframe.Tests.Connections.TestKit;

namespace Wireframe.Tests.Connections;

public sealed class PreambleTests
{
    private static WireframeAppBuilder<Envelope> App(ConcurrentQueue<PreambleFailure> failures, Action<WireframeOptions>? configure = null)
    {
        var app = WireframeApp.CreateBuilder().UsePreamble(
            new LinePreambleReader(),
            async (conn, name) => await conn.SendRawAsync(Encoding.ASCII.GetBytes($"WELCOME {name}\n")),
            async (conn, failure) =>
            {
                failures.Enqueue(failure);
                await conn.SendRawAsync(Encoding.ASCII.GetBytes($"ERR {failure.Kind}\n"));
            });
        app.Route<byte[], byte[]>(1, (request, ctx) => Utf8($"{ctx.Connection.Preamble}: {Encoding.UTF8.GetString(request)}"));
        if (configure is not null)
        {
            app.Configure(configure);
        }

        return app;
    }

    [Fact]
    public async Task The_success_callback_replies_and_frames_in_the_same_packet_as_the_preamble_are_decoded()
    {
        ConcurrentQueue<PreambleFailure> failures = new();
        await using var host = WireframeTest.CreateHost(App(failures));
        await using var client = host.Connect();

        await client.SendRawAsync((byte[])[.. "HELLO bob\n"u8, .. EnvelopeBytes(1, "first", 1), .. EnvelopeBytes(1, "second", 2)]);

        Assert.Equal("WELCOME bob\n", Encoding.ASCII.GetString(await client.ReadRawAsync(12).Within()));
        Assert.Equal("bob: first", (await client.NextFrameAsync()).Text());
        Assert.Equal("bob: second", (await client.NextFrameAsync()).Text());
        await client.AssertNothingMoreThenCleanCloseAsync();
        Assert.Empty(failures);
    }

    [Fact]
    public async Task A_preamble_arriving_one_byte_at_a_time_is_accepted()
    {
        ConcurrentQueue<PreambleFailure> failures = new();
        await using var host = WireframeTest.CreateHost(App(failures));
        await using var client = host.Connect();

        await client.SendRawAsync((byte[])[.. "HELLO ann\n"u8, .. EnvelopeBytes(1, "x")], chunkSize: 1);

        Assert.Equal("WELCOME ann\n", Encoding.ASCII.GetString(await client.ReadRawAsync(12).Within()));
        Assert.Equal("ann: x", (await client.NextFrameAsync()).Text());
    }

    [Fact]
    public async Task An_invalid_preamble_gets_the_failure_callback_error_and_then_the_connection_closes()
    {
        ConcurrentQueue<PreambleFailure> failures = new();
        await using var host = WireframeTest.CreateHost(App(failures));
        await using var client = host.Connect();

        await client.SendRawAsync((byte[])[.. "GET / HTTP/1.1\r\n"u8, .. EnvelopeBytes(1, "never")]);

        Assert.Equal("ERR Invalid\n", Encoding.ASCII.GetString(await client.ReadToEndAsync().Within()));
        DisconnectInfo info = await client.ClosedAsync();
        Assert.Equal(DisconnectReason.PreambleInvalid, info.Reason);
        Assert.Equal("The preamble must start with HELLO.", info.Detail);
        Assert.Equal(PreambleFailureKind.Invalid, Assert.Single(failures).Kind);
    }

    [Fact]
    public async Task A_preamble_not_sent_within_the_timeout_fails_with_PreambleTimeout_on_the_manual_clock()
    {
        ConcurrentQueue<PreambleFailure> failures = new();
        await using var host = WireframeTest.CreateHost(App(failures, o => o.PreambleTimeout = TimeSpan.FromSeconds(5)));
        await using var client = host.Connect();
        await client.SendRawAsync("HELLO sl"u8.ToArray());

        host.Time.Advance(TimeSpan.FromSeconds(5));

        Assert.Equal("ERR Timeout\n", Encoding.ASCII.GetString(await client.ReadToEndAsync().Within()));
        DisconnectInfo info = await client.ClosedAsync();
        Assert.Equal(DisconnectReason.PreambleTimeout, info.Reason);
        Assert.Contains("WireframeOptions.PreambleTimeout", info.Detail, StringComparison.Ordinal);
        Assert.Equal(PreambleFailureKind.Timeout, Assert.Single(failures).Kind);
    }

    [Fact]
    public async Task A_preamble_completed_just_before_the_timeout_is_accepted_and_the_timer_is_gone()
    {
        ConcurrentQueue<PreambleFailure> failures = new();
        await using var host = WireframeTest.CreateHost(App(failures, o => o.PreambleTimeout = TimeSpan.FromSeconds(5)));
        await using var client = host.Connect();

        await client.SendRawAsync("HELLO sl"u8.ToArray());
        host.Time.Advance(TimeSpan.FromSeconds(5) - TimeSpan.FromTicks(1));
        await client.SendRawAsync("ow\n"u8.ToArray());
        Assert.Equal("WELCOME slow\n", Encoding.ASCII.GetString(await client.ReadRawAsync(13).Within()));
        host.Time.Advance(TimeSpan.FromMinutes(1));

        await client.SendFrameAsync(Frame(1, "still here"));
        Assert.Equal("slow: still here", (await client.NextFrameAsync()).Text());
        await client.AssertNothingMoreThenCleanCloseAsync();
        Assert.Empty(failures);
    }

    [Theory]
    [InlineData("HELLO abcdefghijklmnopqrstuvwxyz", 4)]
    [InlineData("HELLO abcdefghijklmnopqrstuvwxyz\n", int.MaxValue)]
    public async Task A_preamble_longer_than_MaxPreambleLength_is_rejected_as_too_large(string preamble, int chunkSize)
    {
        // Incomplete and arriving in pieces, or complete and arriving in one packet: the limit holds either way.
        ConcurrentQueue<PreambleFailure> failures = new();
        await using var host = WireframeTest.CreateHost(App(failures, o => o.MaxPreambleLength = 16));
        await using var client = host.Connect();

        await client.SendRawAsync(Encoding.ASCII.GetBytes(preamble), chunkSize);

        Assert.Equal("ERR TooLarge\n", Encoding.ASCII.GetString(await client.ReadToEndAsync().Within()));
        DisconnectInfo info = await client.ClosedAsync();
        Assert.Equal(DisconnectReason.PreambleInvalid, info.Reason);
        Assert.Contains("WireframeOptions.MaxPreambleLength", info.Detail, StringComparison.Ordinal);
        Assert.Equal(PreambleFailureKind.TooLarge, Assert.Single(failures).Kind);
    }

    [Fact]
    public async Task A_preamble_of_exactly_MaxPreambleLength_bytes_is_accepted()
    {
        ConcurrentQueue<PreambleFailure> failures = new();
        await using var host = WireframeTest.CreateHost(App(failures, o => o.MaxPreambleLength = 16));
        await using var client = host.Connect();

        await client.SendRawAsync("HELLO 123456789\n"u8.ToArray());

        Assert.Equal("WELCOME 123456789\n", Encoding.ASCII.GetString(await client.ReadRawAsync(18).Within()));
        Assert.Empty(failures);
    }

    [Fact]
    public async Task The_peer_closing_mid_preamble_is_reported_to_the_failure_callback()
    {
        ConcurrentQueue<PreambleFailure> failures = new();
        await using var host = WireframeTest.CreateHost(App(failures));
        await using var client = host.Connect();

        await client.SendRawAsync("HELLO b"u8.ToArray());
        await client.CompleteAsync();

        DisconnectInfo info = await client.ClosedAsync();
        Assert.Equal(DisconnectReason.PeerClosedMidFrame, info.Reason);
        Assert.Equal(FrameEofKind.MidHeader, info.Eof);
        Assert.Equal(PreambleFailureKind.PeerClosed, Assert.Single(failures).Kind);
        Assert.Equal("ERR PeerClosed\n", Encoding.ASCII.GetString(await client.ReadToEndAsync().Within()));
    }

    [Fact]
    public async Task A_peer_that_closes_without_sending_anything_is_a_normal_close_not_a_failed_preamble()
    {
        ConcurrentQueue<PreambleFailure> failures = new();
        await using var host = WireframeTest.CreateHost(App(failures));
        await using var client = host.Connect();

        await client.CompleteAsync();

        DisconnectInfo info = await client.ClosedAsync();
        Assert.Equal(DisconnectReason.PeerClosed, info.Reason);
        Assert.Equal(FrameEofKind.Clean, info.Eof);
        Assert.Empty(failures);
        Assert.Empty(await client.ReadToEndAsync().Within());
    }

    [Fact]
    public async Task A_throwing_success_callback_closes_the_connection_with_HookFailed()
    {
        var app = WireframeApp.CreateBuilder().UsePreamble(new LinePreambleReader(), (_, _) => throw new InvalidOperationException("callback bug"));
        await using var host = WireframeTest.CreateHost(app);
        await using var client = host.Connect();

        await client.SendRawAsync("HELLO x\n"u8.ToArray());

        DisconnectInfo info = await client.ClosedAsync();
        Assert.Equal(DisconnectReason.HookFailed, info.Reason);
        Assert.Contains("preamble success", info.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_connected_hook_runs_after_the_preamble_and_sees_it()
    {
        var app = WireframeApp.CreateBuilder()
            .UsePreamble(new LinePreambleReader())
            .OnConnected(async conn => await conn.SendAsync(2, Utf8($"hi {conn.Preamble}")));
        await using var host = WireframeTest.CreateHost(app);
        await using var client = host.Connect();

        await client.SendRawAsync("HELLO zoe\n"u8.ToArray());

        Assert.Equal("hi zoe", (await client.NextFrameAsync()).Text());
    }
}
