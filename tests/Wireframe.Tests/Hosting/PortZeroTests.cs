using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Wireframe.Examples.Echo;
using Wireframe.Hosting;
using Wireframe.Tests.Support;

namespace Wireframe.Tests.Hosting;

/// <summary>Port 0 asks the OS for a free port; <see cref="WireframeServer.EndPoints"/> must report the one it got.</summary>
public sealed class PortZeroTests
{
    [Fact]
    public async Task EndPoints_report_the_real_bound_port_and_two_servers_get_different_ports()
    {
        await using var first = await TcpTestServer.StartAsync(EchoApp.CreateRouted());
        await using var second = await TcpTestServer.StartAsync(EchoApp.CreateRaw());

        Assert.NotEqual(0, first.Port);
        Assert.NotEqual(0, second.Port);
        Assert.NotEqual(first.Port, second.Port);
        Assert.Equal(IPAddress.Loopback, first.EndPoint.Address);

        // Each reported port reaches its own server: routed on one, raw on the other.
        await using var routedClient = await FrameSocket.ConnectAsync(first.EndPoint);
        await routedClient.SendAsync(FrameSocket.Envelope(EchoApp.EchoMessageId, "routed"u8, correlationId: 1));
        EnvelopeReply? routed = await routedClient.ReadEnvelopeAsync();
        Assert.NotNull(routed);
        Assert.Equal("routed"u8.ToArray(), routed.Payload);

        await using var rawClient = await FrameSocket.ConnectAsync(second.EndPoint);
        await rawClient.SendAsync(FrameSocket.Raw("raw"u8));
        Assert.Equal("raw"u8.ToArray(), await rawClient.ReadFrameAsync());
    }

    [Fact]
    public async Task Every_endpoint_of_a_server_is_reported_in_the_order_it_was_added()
    {
        DirectoryInfo directory = Directory.CreateTempSubdirectory("wf-");
        string path = Path.Combine(directory.FullName, "both.sock");
        try
        {
            WireframeServer server = WireframeServer.Create(EchoApp.CreateRouted())
                .ListenTcp("127.0.0.1", 0)
                .ListenUnixSocket(path)
                .ListenTcp("127.0.0.1", 0)
                .ConfigureLogging(logging => logging.SetMinimumLevel(LogLevel.Warning))
                .Build();
            await using (server)
            {
                await server.StartAsync();

                Assert.Equal(3, server.EndPoints.Count);
                var tcp1 = Assert.IsType<IPEndPoint>(server.EndPoints[0]);
                Assert.IsType<UnixDomainSocketEndPoint>(server.EndPoints[1]);
                var tcp2 = Assert.IsType<IPEndPoint>(server.EndPoints[2]);
                Assert.NotEqual(0, tcp1.Port);
                Assert.NotEqual(0, tcp2.Port);
                Assert.NotEqual(tcp1.Port, tcp2.Port);
                foreach (IPEndPoint endPoint in (IPEndPoint[])[tcp1, tcp2])
                {
                    await using var client = await FrameSocket.ConnectAsync(endPoint);
                    await client.SendAsync(FrameSocket.Envelope(EchoApp.EchoMessageId, "hi"u8, correlationId: (ulong)endPoint.Port));
                    Assert.Equal((ulong)endPoint.Port, (await client.ReadEnvelopeAsync())?.CorrelationId);
                }
            }
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }
}
