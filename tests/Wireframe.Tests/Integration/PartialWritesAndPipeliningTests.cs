using Wireframe.Examples.Echo;
using Wireframe.Tests.Support;

namespace Wireframe.Tests.Integration;

/// <summary>TCP does not preserve write boundaries: frames split into single bytes, or packed many to a write, must echo the same.</summary>
public sealed class PartialWritesAndPipeliningTests
{
    private static readonly TimeSpan SafetyTimeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Routed_frames_sent_one_byte_per_write_echo_correctly()
    {
        await using var server = await TcpTestServer.StartAsync(EchoApp.CreateRouted());
        await using var client = await FrameSocket.ConnectAsync(server.EndPoint);
        byte[] first = Payloads.Random(300, seed: 1);
        byte[] second = [];
        byte[] third = Payloads.Random(1, seed: 3);
        byte[] bytes = [
            .. FrameSocket.Envelope(EchoApp.EchoMessageId, first, correlationId: 0x0102030405060708),
            .. FrameSocket.Envelope(EchoApp.EchoMessageId, second, correlationId: 2),
            .. FrameSocket.Envelope(EchoApp.EchoMessageId, third),
        ];

        await client.SendBytewiseAsync(bytes).WaitAsync(SafetyTimeout);

        EnvelopeReply? a = await client.ReadEnvelopeAsync();
        EnvelopeReply? b = await client.ReadEnvelopeAsync();
        EnvelopeReply? c = await client.ReadEnvelopeAsync();
        AssertEcho(a, 0x0102030405060708, first);
        AssertEcho(b, 2, second);
        AssertEcho(c, null, third);
    }

    [Fact]
    public async Task Raw_frames_sent_one_byte_per_write_echo_correctly()
    {
        await using var server = await TcpTestServer.StartAsync(EchoApp.CreateRaw());
        await using var client = await FrameSocket.ConnectAsync(server.EndPoint);
        byte[] first = Payloads.Random(200, seed: 4);
        byte[] second = Payloads.Random(2, seed: 5);

        await client.SendBytewiseAsync(FrameSocket.Raw(first)).WaitAsync(SafetyTimeout);
        Assert.Equal(first, await client.ReadFrameAsync());
        await client.SendBytewiseAsync(FrameSocket.Raw(second)).WaitAsync(SafetyTimeout);
        Assert.Equal(second, await client.ReadFrameAsync());
    }

    [Fact]
    public async Task Many_frames_in_one_write_come_back_in_order()
    {
        const int Frames = 500;
        await using var server = await TcpTestServer.StartAsync(EchoApp.CreateRouted());
        await using var client = await FrameSocket.ConnectAsync(server.EndPoint);
        byte[][] payloads = Enumerable.Range(0, Frames).Select(i => Payloads.Random(i * 37 % 4096, seed: i)).ToArray();
        byte[] batch = payloads.SelectMany((payload, i) => FrameSocket.Envelope(EchoApp.EchoMessageId, payload, (ulong)i)).ToArray();

        // Read while sending: the echoes of a large batch would otherwise fill both directions' buffers.
        Task send = client.SendAsync(batch);
        for (int i = 0; i < Frames; i++)
        {
            EnvelopeReply? reply = await client.ReadEnvelopeAsync();
            Assert.NotNull(reply);
            Assert.Equal((ulong)i, reply.CorrelationId);
            Assert.True(payloads[i].AsSpan().SequenceEqual(reply.Payload), $"Frame {i} came back different.");
        }

        await send.WaitAsync(SafetyTimeout);
    }

    [Fact]
    public async Task Frames_split_at_arbitrary_points_across_writes_come_back_in_order()
    {
        const int Frames = 200;
        await using var server = await TcpTestServer.StartAsync(EchoApp.CreateRaw());
        await using var client = await FrameSocket.ConnectAsync(server.EndPoint);
        byte[][] payloads = Enumerable.Range(0, Frames).Select(i => Payloads.Random(i % 50, seed: i)).ToArray();
        byte[] stream = payloads.SelectMany(p => FrameSocket.Raw(p)).ToArray();

        Task send = SendInRandomPiecesAsync(client, stream, new Random(42));
        for (int i = 0; i < Frames; i++)
        {
            Assert.Equal(payloads[i], await client.ReadFrameAsync());
        }

        await send.WaitAsync(SafetyTimeout);
    }

    private static void AssertEcho(EnvelopeReply? reply, ulong? correlationId, byte[] payload)
    {
        Assert.NotNull(reply);
        Assert.Equal(EchoApp.EchoMessageId, reply.MessageId);
        Assert.Equal(correlationId, reply.CorrelationId);
        Assert.Equal(payload, reply.Payload);
    }

    private static async Task SendInRandomPiecesAsync(FrameSocket client, byte[] bytes, Random random)
    {
        int offset = 0;
        while (offset < bytes.Length)
        {
            int size = Math.Min(random.Next(1, 23), bytes.Length - offset);
            await client.SendAsync(bytes.AsMemory(offset, size));
            offset += size;
        }
    }
}
