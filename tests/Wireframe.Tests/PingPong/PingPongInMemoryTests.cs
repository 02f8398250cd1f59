using Wireframe.Connections;
using Wireframe.Examples.PingPong;
using Wireframe.Examples.PingPong.Messages;
using Wireframe.Messages;
using Wireframe.Testing;
using Wireframe.Tests.Support;
using static Wireframe.Tests.PingPong.PingPongWire;

namespace Wireframe.Tests.PingPong;

public sealed class PingPongInMemoryTests
{
    [Theory]
    [InlineData(0u, 1u)]
    [InlineData(41u, 42u)]
    [InlineData(uint.MaxValue - 1, uint.MaxValue)]
    public async Task Ping_is_answered_by_a_pong_one_higher_with_message_id_2(uint value, uint expected)
    {
        await using var host = WireframeTest.CreateHost(PingPongApp.Create());
        await using var client = host.Connect();

        await client.SendAsync(PingPongApp.PingMessageId, new Ping(value), correlationId: 7);

        Assert.Equal(new Pong(expected), AssertPong(await ReadAsync(client), correlationId: 7));
    }

    [Fact]
    public async Task Pong_has_no_correlation_id_when_the_ping_had_none()
    {
        await using var host = WireframeTest.CreateHost(PingPongApp.Create());
        await using var client = host.Connect();

        await client.SendAsync(PingPongApp.PingMessageId, new Ping(1));
        await client.SendAsync(PingPongApp.PingMessageId, new Ping(2), correlationId: ulong.MaxValue);

        Assert.Equal(new Pong(2), AssertPong(await ReadAsync(client), correlationId: null));
        Assert.Equal(new Pong(3), AssertPong(await ReadAsync(client), correlationId: ulong.MaxValue));
    }

    [Fact]
    public async Task Hundred_pings_pipelined_in_one_write_are_answered_in_order()
    {
        await using var host = WireframeTest.CreateHost(PingPongApp.Create());
        await using var client = host.Connect();
        byte[] pings = [.. Enumerable.Range(0, 100).SelectMany(i => PingFrame((uint)i * 1000, correlationId: (ulong)i))];

        await client.SendRawAsync(pings);

        for (int i = 0; i < 100; i++)
        {
            Assert.Equal(new Pong(((uint)i * 1000) + 1), AssertPong(await ReadAsync(client), correlationId: (ulong)i));
        }

        await AssertClosesCleanlyAsync(client);
    }

    [Theory]
    [InlineData(99ul)]
    [InlineData(null)]
    public async Task Overflowing_ping_gets_an_error_message_and_the_connection_keeps_serving(ulong? correlationId)
    {
        await using var host = WireframeTest.CreateHost(PingPongApp.Create());
        await using var client = host.Connect();

        await client.SendAsync(PingPongApp.PingMessageId, new Ping(uint.MaxValue), correlationId);
        ErrorMessage error = AssertError(await ReadAsync(client), correlationId);

        Assert.Equal(PingPongErrorCodes.ValueOverflow, error.Code);
        Assert.Contains("4294967295", error.Text, StringComparison.Ordinal);
        Assert.Contains("overflow", error.Text, StringComparison.Ordinal);

        await client.SendAsync(PingPongApp.PingMessageId, new Ping(5), correlationId: 100);
        Assert.Equal(new Pong(6), AssertPong(await ReadAsync(client), correlationId: 100));
        await AssertClosesCleanlyAsync(client);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    [InlineData(5)]
    [InlineData(1000)]
    public async Task Malformed_ping_gets_an_error_message_and_the_connection_keeps_serving(int payloadLength)
    {
        await using var host = WireframeTest.CreateHost(PingPongApp.Create());
        await using var client = host.Connect();

        await client.SendFrameAsync(new Envelope(PingPongApp.PingMessageId, 21ul, new byte[payloadLength]));
        ErrorMessage error = AssertError(await ReadAsync(client), correlationId: 21);

        Assert.Equal(PingPongErrorCodes.MalformedPayload, error.Code);
        Assert.Contains("Ping", error.Text, StringComparison.Ordinal);

        await client.SendAsync(PingPongApp.PingMessageId, new Ping(10), correlationId: 22);
        Assert.Equal(new Pong(11), AssertPong(await ReadAsync(client), correlationId: 22));
        await AssertClosesCleanlyAsync(client);
    }

    [Fact]
    public async Task Errors_and_pongs_interleaved_in_one_write_keep_their_order_and_correlation_ids()
    {
        await using var host = WireframeTest.CreateHost(PingPongApp.Create());
        await using var client = host.Connect();
        byte[] batch =
        [
            .. PingFrame(1, correlationId: 1),
            .. PingFrame(uint.MaxValue, correlationId: 2),
            .. FrameSocket.Envelope(PingPongApp.PingMessageId, [1, 2, 3], correlationId: 3),
            .. PingFrame(4, correlationId: 4),
        ];

        await client.SendRawAsync(batch, chunkSize: 7);

        Assert.Equal(new Pong(2), AssertPong(await ReadAsync(client), correlationId: 1));
        Assert.Equal(PingPongErrorCodes.ValueOverflow, AssertError(await ReadAsync(client), correlationId: 2).Code);
        Assert.Equal(PingPongErrorCodes.MalformedPayload, AssertError(await ReadAsync(client), correlationId: 3).Code);
        Assert.Equal(new Pong(5), AssertPong(await ReadAsync(client), correlationId: 4));
        await AssertClosesCleanlyAsync(client);
    }

    [Fact]
    public async Task Unrouted_message_id_gets_no_reply_and_does_not_disturb_the_next_ping()
    {
        await using var host = WireframeTest.CreateHost(PingPongApp.Create());
        await using var client = host.Connect();

        await client.SendAsync(PingPongApp.PongMessageId, new Pong(1), correlationId: 1);
        await client.SendAsync(PingPongApp.PingMessageId, new Ping(1), correlationId: 2);

        // The first frame back answers the second request: nothing was sent for the stray pong.
        Assert.Equal(new Pong(2), AssertPong(await ReadAsync(client), correlationId: 2));
        await AssertClosesCleanlyAsync(client);
    }

    private static async Task<Envelope> ReadAsync(TestConnection<Envelope> client) =>
        await client.ReadFrameAsync().AsTask().WaitAsync(SafetyTimeout);

    /// <summary>Ends the conversation and checks the server had nothing more to say and closed because we did.</summary>
    private static async Task AssertClosesCleanlyAsync(TestConnection<Envelope> client)
    {
        await client.CompleteAsync();
        Assert.Empty(await client.ReadToEndAsync().AsTask().WaitAsync(SafetyTimeout));
        DisconnectInfo info = await client.WaitForCloseAsync().WaitAsync(SafetyTimeout);
        Assert.Equal(DisconnectReason.PeerClosed, info.Reason);
    }
}
