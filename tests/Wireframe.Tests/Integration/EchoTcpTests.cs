using System.Buffers.Binary;
using Wireframe.Examples.Echo;
using Wireframe.Tests.Support;

namespace Wireframe.Tests.Integration;

public sealed class EchoTcpTests
{
    [Fact]
    public async Task Routed_echo_returns_payload_with_same_id_and_correlation()
    {
        await using var server = await TcpTestServer.StartAsync(EchoApp.CreateRouted());
        await using var client = await FrameSocket.ConnectAsync(server.EndPoint);

        await client.SendAsync(FrameSocket.Envelope(EchoApp.EchoMessageId, "hello"u8, correlationId: 42));
        byte[]? body = await client.ReadFrameAsync();

        Assert.NotNull(body);
        Assert.Equal(EchoApp.EchoMessageId, BinaryPrimitives.ReadUInt32BigEndian(body));
        Assert.Equal(1, body[4]);
        Assert.Equal(42UL, BinaryPrimitives.ReadUInt64BigEndian(body.AsSpan(5)));
        Assert.Equal("hello"u8.ToArray(), body[13..]);
    }

    [Fact]
    public async Task Readme_nc_example_bytes_round_trip_exactly()
    {
        await using var server = await TcpTestServer.StartAsync(EchoApp.CreateRouted());
        await using var client = await FrameSocket.ConnectAsync(server.EndPoint);
        byte[] request = [0x00, 0x00, 0x00, 0x0a, 0x00, 0x00, 0x00, 0x01, 0x00, .. "hello"u8];

        await client.SendAsync(request);
        client.Socket.Shutdown(System.Net.Sockets.SocketShutdown.Send);

        Assert.Equal(request, await client.ReadToEndAsync());
    }
}
