using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Wireframe.Examples.Echo;
using Wireframe.Hosting;
using Wireframe.Tests.Support;

namespace Wireframe.Tests.Integration;

/// <summary>The same application served on a Unix domain socket.</summary>
public sealed class UnixSocketEchoTests
{
    [Fact]
    public async Task Routed_echo_works_over_a_unix_domain_socket()
    {
        DirectoryInfo directory = Directory.CreateTempSubdirectory("wf-");
        string path = Path.Combine(directory.FullName, "echo.sock");
        try
        {
            WireframeServer server = WireframeServer.Create(EchoApp.CreateRouted())
                .ListenUnixSocket(path)
                .ConfigureLogging(logging => logging.SetMinimumLevel(LogLevel.Warning))
                .Build();
            await using (server)
            {
                await server.StartAsync();
                UnixDomainSocketEndPoint endPoint = Assert.IsType<UnixDomainSocketEndPoint>(Assert.Single(server.EndPoints));
                Assert.Equal(path, endPoint.ToString());

                await using var first = await FrameSocket.ConnectUnixAsync(path);
                await using var second = await FrameSocket.ConnectUnixAsync(path);
                int[] sizes = [0, 1, 128, 64 * 1024];
                for (int i = 0; i < sizes.Length; i++)
                {
                    foreach (FrameSocket client in (FrameSocket[])[first, second])
                    {
                        byte[] payload = Payloads.Random(sizes[i], seed: i);
                        await client.SendAsync(FrameSocket.Envelope(EchoApp.EchoMessageId, payload, (ulong)i));
                        EnvelopeReply? reply = await client.ReadEnvelopeAsync();

                        Assert.NotNull(reply);
                        Assert.Equal((ulong)i, reply.CorrelationId);
                        Assert.Equal(payload, reply.Payload);
                    }
                }
            }
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }
}
