using System.Net;
using Microsoft.Extensions.Logging;
using Wireframe.Hosting;
using Wireframe.Routing;

namespace Wireframe.Tests.Support;

/// <summary>Runs an application on Kestrel at 127.0.0.1 on a free port for one test.</summary>
public sealed class TcpTestServer : IAsyncDisposable
{
    private TcpTestServer(WireframeServer server)
    {
        Server = server;
        EndPoint = (IPEndPoint)server.EndPoints[0];
    }

    public WireframeServer Server { get; }

    public IPEndPoint EndPoint { get; }

    public int Port => EndPoint.Port;

    public static async Task<TcpTestServer> StartAsync<TFrame>(WireframeAppBuilder<TFrame> app, Action<WireframeServerBuilder<TFrame>>? configure = null)
    {
        var builder = WireframeServer.Create(app)
            .ListenTcp(IPAddress.Loopback.ToString(), 0)
            .ConfigureLogging(logging => logging.SetMinimumLevel(LogLevel.Warning));
        configure?.Invoke(builder);
        WireframeServer server = builder.Build();
        await server.StartAsync();
        return new TcpTestServer(server);
    }

    public async ValueTask DisposeAsync() => await Server.DisposeAsync();
}
