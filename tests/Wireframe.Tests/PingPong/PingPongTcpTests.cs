using System.Net.Sockets;
using Wireframe.Examples.PingPong;
using Wireframe.Examples.PingPong.Messages;
using Wireframe.Messages;
using Wireframe.Tests.Support;
using static Wireframe.Tests.PingPong.PingPongWire;

namespace Wireframe.Tests.PingPong;

public sealed class PingPongTcpTests
{
    [Fact]
    public async Task Ping_over_tcp_gets_a_pong_one_higher_with_the_same_correlation_id()
    {
        await using var server = await TcpTestServer.StartAsync(PingPongApp.Create());
        await using var client = await FrameSocket.ConnectAsync(server.EndPoint);

        await client.SendAsync(PingFrame(41, correlationId: 0x0102030405060708));

        Assert.Equal(new Pong(42), AssertPong(ParseBody(await client.ReadFrameAsync()), correlationId: 0x0102030405060708));
    }

    [Fact]
    public async Task Pong_over_tcp_has_no_correlation_id_when_the_ping_had_none()
    {
        await using var server = await TcpTestServer.StartAsync(PingPongApp.Create());
        await using var client = await FrameSocket.ConnectAsync(server.EndPoint);

        await client.SendAsync(PingFrame(7));
        byte[]? body = await client.ReadFrameAsync();

        // Message id 2, flags 0, then the 4-byte payload: nothing else.
        Assert.Equal([0, 0, 0, 2, 0, 0, 0, 0, 8], body);
    }

    [Fact]
    public async Task Hundred_pings_pipelined_in_one_tcp_write_are_answered_in_order()
    {
        await using var server = await TcpTestServer.StartAsync(PingPongApp.Create());
        await using var client = await FrameSocket.ConnectAsync(server.EndPoint);
        byte[] pings = [.. Enumerable.Range(0, 100).SelectMany(i => PingFrame((uint)i * 7, correlationId: (ulong)i + 1000))];

        await client.SendAsync(pings);

        for (int i = 0; i < 100; i++)
        {
            Assert.Equal(new Pong(((uint)i * 7) + 1), AssertPong(ParseBody(await client.ReadFrameAsync()), correlationId: (ulong)i + 1000));
        }

        await AssertServerClosesCleanlyAsync(client);
    }

    [Fact]
    public async Task Overflow_over_tcp_gets_an_error_message_then_the_same_connection_answers_the_next_ping()
    {
        await using var server = await TcpTestServer.StartAsync(PingPongApp.Create());
        await using var client = await FrameSocket.ConnectAsync(server.EndPoint);

        await client.SendAsync(PingFrame(uint.MaxValue, correlationId: 5));
        ErrorMessage error = AssertError(ParseBody(await client.ReadFrameAsync()), correlationId: 5);
        Assert.Equal(PingPongErrorCodes.ValueOverflow, error.Code);
        Assert.Contains("overflow", error.Text, StringComparison.Ordinal);

        await client.SendAsync(PingFrame(uint.MaxValue - 1, correlationId: 6));
        Assert.Equal(new Pong(uint.MaxValue), AssertPong(ParseBody(await client.ReadFrameAsync()), correlationId: 6));
        await AssertServerClosesCleanlyAsync(client);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    [InlineData(6)]
    public async Task Malformed_ping_over_tcp_gets_an_error_message_and_the_connection_stays_open(int payloadLength)
    {
        await using var server = await TcpTestServer.StartAsync(PingPongApp.Create());
        await using var client = await FrameSocket.ConnectAsync(server.EndPoint);

        await client.SendAsync(FrameSocket.Envelope(PingPongApp.PingMessageId, new byte[payloadLength]));
        ErrorMessage error = AssertError(ParseBody(await client.ReadFrameAsync()), correlationId: null);
        Assert.Equal(PingPongErrorCodes.MalformedPayload, error.Code);
        Assert.Contains("Ping", error.Text, StringComparison.Ordinal);

        await client.SendAsync(PingFrame(1, correlationId: 2));
        Assert.Equal(new Pong(2), AssertPong(ParseBody(await client.ReadFrameAsync()), correlationId: 2));
        await AssertServerClosesCleanlyAsync(client);
    }

    [Fact]
    public async Task Readme_nc_ping_bytes_get_exactly_the_documented_pong()
    {
        await using var server = await TcpTestServer.StartAsync(PingPongApp.Create());
        await using var client = await FrameSocket.ConnectAsync(server.EndPoint);

        // printf '\x00\x00\x00\x09\x00\x00\x00\x01\x00\x00\x00\x00\x29' | nc -q1 127.0.0.1 7878 | xxd
        await client.SendAsync(new byte[] { 0x00, 0x00, 0x00, 0x09, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x29 });
        client.Socket.Shutdown(SocketShutdown.Send);

        Assert.Equal(Convert.FromHexString("0000000900000002000000002a"), await client.ReadToEndAsync());
    }

    [Fact]
    public async Task Readme_nc_overflow_then_ping_bytes_get_exactly_the_documented_error_and_pong()
    {
        await using var server = await TcpTestServer.StartAsync(PingPongApp.Create());
        await using var client = await FrameSocket.ConnectAsync(server.EndPoint);
        byte[] request = Convert.FromHexString(
            "00000011" + "00000001" + "01" + "0000000000000007" + "ffffffff" +
            "00000011" + "00000001" + "01" + "0000000000000008" + "00000001");
        byte[] text = "Ping value 4294967295 is the largest u32; its pong would overflow."u8.ToArray();
        byte[] expected =
        [
            .. Convert.FromHexString("00000053" + "00000003" + "01" + "0000000000000007" + "0001" + "0042"), .. text,
            .. Convert.FromHexString("00000011" + "00000002" + "01" + "0000000000000008" + "00000002"),
        ];

        await client.SendAsync(request);
        client.Socket.Shutdown(SocketShutdown.Send);

        Assert.Equal(expected, await client.ReadToEndAsync());
    }

    /// <summary>Half-closes our side; the server must answer nothing more and close its side: the connection was healthy.</summary>
    private static async Task AssertServerClosesCleanlyAsync(FrameSocket client)
    {
        client.Socket.Shutdown(SocketShutdown.Send);
        Assert.Empty(await client.ReadToEndAsync());
    }
}
