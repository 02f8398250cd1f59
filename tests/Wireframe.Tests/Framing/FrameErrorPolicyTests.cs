using Wireframe.Connections;
using Wireframe.Framing;
using Wireframe.Messages;
using Wireframe.Routing;
using Wireframe.Testing;
using Wireframe.Tests.Connections;
using static Wireframe.Tests.Connections.TestKit;

namespace Wireframe.Tests.Framing;

public sealed class FrameErrorPolicyTests
{
    private const int Max = 64;

    /// <summary>Echoes message 1 back; frame bodies above <see cref="Max"/> bytes are oversized.</summary>
    private static WireframeAppBuilder<Envelope> EchoApp(Action<WireframeOptions>? configure = null)
    {
        var app = WireframeApp.CreateBuilder(new LengthDelimitedOptions { MaxFrameLength = Max });
        app.Route<byte[], byte[]>(1, (request, _) => request);
        if (configure is not null)
        {
            app.Configure(configure);
        }

        return app;
    }

    [Fact]
    public async Task Oversized_frame_with_Disconnect_closes_with_FrameTooLarge_after_answering_the_frames_before_it()
    {
        await using var host = WireframeTest.CreateHost(EchoApp());
        await using var client = host.Connect();

        await client.SendRawAsync((byte[])[.. EnvelopeBytes(1, "before", 1), .. Prefix(1000)]);

        Envelope answer = await client.NextFrameAsync();
        Assert.Equal("before", answer.Text());
        DisconnectInfo info = await client.ClosedAsync();
        Assert.Equal(DisconnectReason.FrameTooLarge, info.Reason);
        Assert.Contains("LengthDelimitedOptions.MaxFrameLength", info.Detail, StringComparison.Ordinal);
        Assert.Empty(await client.ReadToEndAsync().Within());
    }

    [Fact]
    public async Task Oversized_frame_with_DropFrame_is_skipped_even_when_its_bytes_arrive_later_in_pieces()
    {
        await using var host = WireframeTest.CreateHost(EchoApp(o => o.OversizedFrameAction = FrameErrorAction.DropFrame));
        await using var client = host.Connect();

        // The dropped body is made of valid-looking frames: answering any of them would mean it was parsed.
        const int declared = 300;
        byte[] smuggled = Enumerable.Repeat(EnvelopeBytes(1, "smuggled"), 40).SelectMany(f => f).Take(declared).ToArray();
        await client.SendRawAsync(Prefix(declared));
        await client.SendRawAsync(smuggled, chunkSize: 7);
        await client.SendFrameAsync(Frame(1, "after", 5));

        Envelope answer = await client.NextFrameAsync();
        Assert.Equal("after", answer.Text());
        Assert.Equal(5UL, answer.CorrelationId);
        await client.AssertNothingMoreThenCleanCloseAsync();
    }

    [Fact]
    public async Task Malformed_frame_with_DropFrame_is_skipped_and_the_next_frame_is_answered()
    {
        await using var host = WireframeTest.CreateHost(EchoApp());
        await using var client = host.Connect();

        await client.SendRawAsync((byte[])[.. MalformedEnvelopeBytes(), .. EnvelopeBytes(1, "next", 2)]);

        Envelope answer = await client.NextFrameAsync();
        Assert.Equal("next", answer.Text());
        Assert.Equal(2UL, answer.CorrelationId);
        await client.AssertNothingMoreThenCleanCloseAsync();
    }

    [Fact]
    public async Task Malformed_frame_with_Disconnect_closes_with_MalformedFrame_naming_the_problem()
    {
        await using var host = WireframeTest.CreateHost(EchoApp(o => o.MalformedFrameAction = FrameErrorAction.Disconnect));
        await using var client = host.Connect();

        await client.SendRawAsync(MalformedEnvelopeBytes());

        DisconnectInfo info = await client.ClosedAsync();
        Assert.Equal(DisconnectReason.MalformedFrame, info.Reason);
        Assert.Contains("reserved", info.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DropFrame_falls_back_to_disconnect_when_the_codec_cannot_resynchronise()
    {
        // A length that counts the prefix but is shorter than the prefix: nobody knows where the next frame starts.
        var app = WireframeApp.CreateBuilder(new LengthDelimitedOptions { LengthIncludesPrefix = true });
        app.Route<byte[], byte[]>(1, (request, _) => request);
        await using var host = WireframeTest.CreateHost(app);
        await using var client = host.Connect();

        await client.SendRawAsync(Prefix(2));

        Assert.Equal(DisconnectReason.MalformedFrame, (await client.ClosedAsync()).Reason);
    }

    [Fact]
    public async Task MaxConsecutiveFrameErrors_bad_frames_in_a_row_close_with_TooManyFrameErrors()
    {
        await using var host = WireframeTest.CreateHost(EchoApp(o =>
        {
            o.OversizedFrameAction = FrameErrorAction.DropFrame;
            o.MaxConsecutiveFrameErrors = 3;
        }));
        await using var client = host.Connect();

        // Malformed and oversized errors count alike.
        await client.SendRawAsync((byte[])[.. MalformedEnvelopeBytes(), .. Prefix(Max + 1), .. new byte[Max + 1], .. MalformedEnvelopeBytes()]);

        DisconnectInfo info = await client.ClosedAsync();
        Assert.Equal(DisconnectReason.TooManyFrameErrors, info.Reason);
        Assert.Contains("WireframeOptions.MaxConsecutiveFrameErrors", info.Detail, StringComparison.Ordinal);
        Assert.Empty(await client.ReadToEndAsync().Within());
    }

    [Fact]
    public async Task A_good_frame_between_bad_ones_resets_the_consecutive_error_count()
    {
        await using var host = WireframeTest.CreateHost(EchoApp(o => o.MaxConsecutiveFrameErrors = 3));
        await using var client = host.Connect();

        await client.SendRawAsync((byte[])[
            .. MalformedEnvelopeBytes(), .. MalformedEnvelopeBytes(), .. EnvelopeBytes(1, "one"),
            .. MalformedEnvelopeBytes(), .. MalformedEnvelopeBytes(), .. EnvelopeBytes(1, "two")]);

        Assert.Equal("one", (await client.NextFrameAsync()).Text());
        Assert.Equal("two", (await client.NextFrameAsync()).Text());
        await client.AssertNothingMoreThenCleanCloseAsync();
    }

    [Fact]
    public async Task Eof_on_a_frame_boundary_is_PeerClosed_with_a_clean_eof()
    {
        await using var host = WireframeTest.CreateHost(EchoApp());
        await using var client = host.Connect();

        await client.SendFrameAsync(Frame(1, "x"));
        await client.CompleteAsync();

        Assert.Equal("x", (await client.NextFrameAsync()).Text());
        DisconnectInfo info = await client.ClosedAsync();
        Assert.Equal(DisconnectReason.PeerClosed, info.Reason);
        Assert.Equal(FrameEofKind.Clean, info.Eof);
    }

    [Theory]
    [InlineData(3, FrameEofKind.MidHeader)]
    [InlineData(8, FrameEofKind.MidHeader)]
    [InlineData(9, FrameEofKind.MidFrame)]
    [InlineData(12, FrameEofKind.MidFrame)]
    public async Task Eof_inside_a_frame_is_PeerClosedMidFrame_with_where_it_stopped(int bytesSent, FrameEofKind expected)
    {
        await using var host = WireframeTest.CreateHost(EchoApp());
        await using var client = host.Connect();

        await client.SendRawAsync(EnvelopeBytes(1, "truncated").AsMemory(0, bytesSent));
        await client.CompleteAsync();

        DisconnectInfo info = await client.ClosedAsync();
        Assert.Equal(DisconnectReason.PeerClosedMidFrame, info.Reason);
        Assert.Equal(expected, info.Eof);
    }

    [Fact]
    public async Task Eof_while_a_dropped_frame_is_still_being_skipped_is_mid_frame()
    {
        await using var host = WireframeTest.CreateHost(EchoApp(o => o.OversizedFrameAction = FrameErrorAction.DropFrame));
        await using var client = host.Connect();

        await client.SendRawAsync((byte[])[.. Prefix(Max + 10), .. new byte[Max]]);
        await client.CompleteAsync();

        DisconnectInfo info = await client.ClosedAsync();
        Assert.Equal(DisconnectReason.PeerClosedMidFrame, info.Reason);
        Assert.Equal(FrameEofKind.MidFrame, info.Eof);
    }

    [Fact]
    public async Task Every_byte_sent_one_at_a_time_still_yields_the_right_responses_and_drops()
    {
        await using var host = WireframeTest.CreateHost(EchoApp(o => o.OversizedFrameAction = FrameErrorAction.DropFrame));
        await using var client = host.Connect();

        byte[] stream = [
            .. EnvelopeBytes(1, "first", 10),
            .. MalformedEnvelopeBytes(),
            .. EnvelopeBytes(1, "second"),
            .. Prefix(Max + 5), .. Enumerable.Repeat((byte)0xAB, Max + 5),
            .. EnvelopeBytes(1, "third", ulong.MaxValue)];
        await client.SendRawAsync(stream, chunkSize: 1);

        Envelope first = await client.NextFrameAsync();
        Envelope second = await client.NextFrameAsync();
        Envelope third = await client.NextFrameAsync();
        Assert.Equal(("first", (ulong?)10), (first.Text(), first.CorrelationId));
        Assert.Equal(("second", (ulong?)null), (second.Text(), second.CorrelationId));
        Assert.Equal(("third", (ulong?)ulong.MaxValue), (third.Text(), third.CorrelationId));
        await client.AssertNothingMoreThenCleanCloseAsync();
    }
}
