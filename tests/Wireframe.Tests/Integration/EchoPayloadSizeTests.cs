using Wireframe.Examples.Echo;
using Wireframe.Framing;
using Wireframe.Messages;
using Wireframe.Tests.Support;

namespace Wireframe.Tests.Integration;

/// <summary>Echo over real TCP, from empty payloads to the largest frame the default 1 MiB limit allows.</summary>
public sealed class EchoPayloadSizeTests
{
    // The limit applies to everything after the length prefix: for envelopes that is header + payload.
    private const int MaxBody = LengthDelimitedOptions.DefaultMaxFrameLength;
    private const int MaxRoutedPayloadWithCorrelation = MaxBody - EnvelopeCodec.CorrelatedHeaderSize;
    private const int MaxRoutedPayloadWithoutCorrelation = MaxBody - EnvelopeCodec.HeaderSize;
    private const int MaxRawPayload = MaxBody;

    [Fact]
    public void Maximum_payloads_are_the_default_limit_minus_the_envelope_header()
    {
        Assert.Equal(1_048_576, MaxBody);
        Assert.Equal(1_048_563, MaxRoutedPayloadWithCorrelation);
        Assert.Equal(1_048_571, MaxRoutedPayloadWithoutCorrelation);
        Assert.Equal(1_048_576, MaxRawPayload);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(127)]
    [InlineData(128)]
    [InlineData(4 * 1024)]
    [InlineData(64 * 1024)]
    [InlineData(MaxRoutedPayloadWithCorrelation)]
    public async Task Routed_echo_returns_payload_byte_identical_with_its_correlation_id(int size)
    {
        await using var server = await TcpTestServer.StartAsync(EchoApp.CreateRouted());
        await using var client = await FrameSocket.ConnectAsync(server.EndPoint);
        byte[] payload = Payloads.Random(size, seed: size);
        ulong correlationId = 0xC0FFEE_0000_0000UL + (ulong)size;

        // A one-byte frame right behind the big one shows the stream is still in frame sync.
        await client.SendAsync(FrameSocket.Envelope(EchoApp.EchoMessageId, payload, correlationId));
        await client.SendAsync(FrameSocket.Envelope(EchoApp.EchoMessageId, [0x5A], correlationId + 1));

        EnvelopeReply? reply = await client.ReadEnvelopeAsync();
        EnvelopeReply? next = await client.ReadEnvelopeAsync();

        Assert.NotNull(reply);
        Assert.Equal(EchoApp.EchoMessageId, reply.MessageId);
        Assert.Equal(correlationId, reply.CorrelationId);
        Assert.Equal(size, reply.Payload.Length);
        Assert.True(payload.AsSpan().SequenceEqual(reply.Payload), "The echoed payload differs from the one sent.");
        Assert.NotNull(next);
        Assert.Equal(correlationId + 1, next.CorrelationId);
        Assert.Equal([0x5A], next.Payload);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(4 * 1024)]
    [InlineData(MaxRoutedPayloadWithoutCorrelation)]
    public async Task Routed_echo_without_correlation_id_answers_without_one(int size)
    {
        await using var server = await TcpTestServer.StartAsync(EchoApp.CreateRouted());
        await using var client = await FrameSocket.ConnectAsync(server.EndPoint);
        byte[] payload = Payloads.Random(size, seed: size + 1);

        await client.SendAsync(FrameSocket.Envelope(EchoApp.EchoMessageId, payload));
        EnvelopeReply? reply = await client.ReadEnvelopeAsync();

        Assert.NotNull(reply);
        Assert.Null(reply.CorrelationId);
        Assert.True(payload.AsSpan().SequenceEqual(reply.Payload), "The echoed payload differs from the one sent.");
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(127)]
    [InlineData(128)]
    [InlineData(4 * 1024)]
    [InlineData(64 * 1024)]
    [InlineData(MaxRawPayload)]
    public async Task Raw_echo_returns_frame_byte_identical(int size)
    {
        await using var server = await TcpTestServer.StartAsync(EchoApp.CreateRaw());
        await using var client = await FrameSocket.ConnectAsync(server.EndPoint);
        byte[] payload = Payloads.Random(size, seed: -size);

        await client.SendAsync(FrameSocket.Raw(payload));
        await client.SendAsync(FrameSocket.Raw([0xA5]));

        byte[]? reply = await client.ReadFrameAsync();
        byte[]? next = await client.ReadFrameAsync();

        Assert.NotNull(reply);
        Assert.Equal(size, reply.Length);
        Assert.True(payload.AsSpan().SequenceEqual(reply), "The echoed frame differs from the one sent.");
        Assert.Equal([0xA5], next);
    }

    [Fact]
    public async Task Every_size_on_one_connection_comes_back_in_order()
    {
        int[] sizes = [0, 1, 127, 128, 4 * 1024, 64 * 1024, MaxRoutedPayloadWithCorrelation, 3, MaxRoutedPayloadWithCorrelation];
        await using var server = await TcpTestServer.StartAsync(EchoApp.CreateRouted());
        await using var client = await FrameSocket.ConnectAsync(server.EndPoint);

        for (int i = 0; i < sizes.Length; i++)
        {
            byte[] payload = Payloads.Random(sizes[i], seed: i);
            await client.SendAsync(FrameSocket.Envelope(EchoApp.EchoMessageId, payload, (ulong)i));
            EnvelopeReply? reply = await client.ReadEnvelopeAsync();

            Assert.NotNull(reply);
            Assert.Equal((ulong)i, reply.CorrelationId);
            Assert.True(payload.AsSpan().SequenceEqual(reply.Payload), $"Frame {i} ({sizes[i]} bytes) came back different.");
        }
    }
}
