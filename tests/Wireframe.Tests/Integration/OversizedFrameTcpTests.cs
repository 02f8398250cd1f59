using System.Buffers.Binary;
using Microsoft.Extensions.Logging;
using Wireframe.Diagnostics;
using Wireframe.Examples.Echo;
using Wireframe.Framing;
using Wireframe.Hosting;
using Wireframe.Messages;
using Wireframe.Routing;
using Wireframe.Tests.Support;

namespace Wireframe.Tests.Integration;

/// <summary>Frames above <see cref="LengthDelimitedOptions.MaxFrameLength"/> over real TCP, under both oversized-frame policies.</summary>
public sealed class OversizedFrameTcpTests
{
    private const int MaxBody = LengthDelimitedOptions.DefaultMaxFrameLength;
    private const int OversizedBody = 2 * MaxBody;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Frame_one_byte_above_the_maximum_closes_that_connection_and_the_server_keeps_serving_others(bool raw)
    {
        using var logs = new LogCapture();
        await using var server = await StartEchoAsync(raw, logs);
        using var metrics = new MetricCapture(server.Server.Services);
        await using var bystander = await FrameSocket.ConnectAsync(server.EndPoint);
        await using var offender = await FrameSocket.ConnectAsync(server.EndPoint);
        await AssertEchoesAsync(bystander, raw, correlationId: 1);

        // Only the header: the limit is enforced from the declared length, before any payload is buffered.
        await offender.TrySendAsync(Header(raw, bodyLength: MaxBody + 1));

        Assert.Empty(await offender.ReadToEndAsync());
        await AssertEchoesAsync(bystander, raw, correlationId: 2);
        await using var newcomer = await FrameSocket.ConnectAsync(server.EndPoint);
        await AssertEchoesAsync(newcomer, raw, correlationId: 3);
        Assert.Equal(1, metrics.Errors(ErrorTypes.FrameOversized));
        CapturedLog log = Assert.Single(logs.Wireframe(100));
        Assert.Equal(LogLevel.Warning, log.Level);
        Assert.Equal(FrameErrorAction.Disconnect, log["Action"]);
        Assert.Contains("OversizedFrameAction", log.Message, StringComparison.Ordinal);
        Assert.Contains($"{MaxBody + 1}", log.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Oversized_frame_sent_in_pieces_is_skipped_under_DropFrame_and_the_next_frame_is_echoed(bool raw)
    {
        using var logs = new LogCapture();
        await using var server = await StartEchoAsync(raw, logs, o => o.OversizedFrameAction = FrameErrorAction.DropFrame);
        using var metrics = new MetricCapture(server.Server.Services);
        await using var client = await FrameSocket.ConnectAsync(server.EndPoint);

        // The skipped body is made of valid echo frames: had the server parsed any of it, a decoy would come back.
        byte[] decoy = Frame(raw, "decoy"u8.ToArray(), correlationId: 666);
        byte[] oversized = new byte[OversizedBody];
        for (int offset = 0; offset + decoy.Length <= oversized.Length; offset += decoy.Length)
        {
            decoy.CopyTo(oversized, offset);
        }

        await client.SendAsync(Header(raw, OversizedBody));
        await client.SendInChunksAsync(oversized.AsMemory(HeaderOverhead(raw)), chunkSize: 64 * 1024);
        byte[] first = Payloads.Random(300, seed: 7);
        byte[] second = Payloads.Random(5, seed: 8);
        byte[] next = [.. Frame(raw, first, correlationId: 7), .. Frame(raw, second, correlationId: 8)];
        await client.SendAsync(next);

        AssertReply(raw, await client.ReadFrameAsync(), first, correlationId: 7);
        AssertReply(raw, await client.ReadFrameAsync(), second, correlationId: 8);
        await AssertEchoesAsync(client, raw, correlationId: 9);
        Assert.Equal(1, metrics.Errors(ErrorTypes.FrameOversized));
        CapturedLog log = Assert.Single(logs.Wireframe(100));
        Assert.Equal(FrameErrorAction.DropFrame, log["Action"]);
    }

    private static async Task<TcpTestServer> StartEchoAsync(bool raw, LogCapture logs, Action<WireframeOptions>? options = null)
    {
        void Configure<TFrame>(WireframeServerBuilder<TFrame> builder) =>
            builder.ConfigureLogging(logging => logging.AddProvider(logs).SetMinimumLevel(LogLevel.Debug));

        if (raw)
        {
            WireframeAppBuilder<System.Buffers.ReadOnlySequence<byte>> app = EchoApp.CreateRaw();
            options?.Invoke(app.Options);
            return await TcpTestServer.StartAsync(app, Configure);
        }

        WireframeAppBuilder<Envelope> routed = EchoApp.CreateRouted();
        options?.Invoke(routed.Options);
        return await TcpTestServer.StartAsync(routed, Configure);
    }

    /// <summary>The bytes before the payload: the length prefix, plus the envelope header when routed.</summary>
    private static byte[] Header(bool raw, int bodyLength)
    {
        byte[] header = new byte[4 + HeaderOverhead(raw)];
        BinaryPrimitives.WriteUInt32BigEndian(header, (uint)bodyLength);
        if (!raw)
        {
            BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(4), EchoApp.EchoMessageId);
            header[8] = EnvelopeCodec.CorrelationFlag;
            BinaryPrimitives.WriteUInt64BigEndian(header.AsSpan(9), 0xBAD);
        }

        return header;
    }

    private static int HeaderOverhead(bool raw) => raw ? 0 : EnvelopeCodec.CorrelatedHeaderSize;

    private static byte[] Frame(bool raw, byte[] payload, ulong correlationId) =>
        raw ? FrameSocket.Raw(payload) : FrameSocket.Envelope(EchoApp.EchoMessageId, payload, correlationId);

    private static async Task AssertEchoesAsync(FrameSocket client, bool raw, ulong correlationId)
    {
        byte[] payload = Payloads.Random(64, seed: (int)correlationId);
        await client.SendAsync(Frame(raw, payload, correlationId));
        AssertReply(raw, await client.ReadFrameAsync(), payload, correlationId);
    }

    private static void AssertReply(bool raw, byte[]? body, byte[] payload, ulong correlationId)
    {
        Assert.NotNull(body);
        if (raw)
        {
            Assert.Equal(payload, body);
            return;
        }

        EnvelopeReply reply = EnvelopeReply.Parse(body);
        Assert.Equal(correlationId, reply.CorrelationId);
        Assert.Equal(payload, reply.Payload);
    }
}
