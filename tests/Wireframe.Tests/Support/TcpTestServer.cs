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

    public static Task<TcpTestServer> StartAsync<TFrame>(WireframeAppBuilder<TFrame> app, Action<WireframeServerBuilder<TFrame>>? configure = null) =>
        StartAsync(app, port: 0, configure);

    /// <summary>Starts on a given port: 0 for a free one, or the port of a server that was stopped, to restart it.</summary>
    public static async Task<TcpTestServer> StartAsync<TFrame>(WireframeAppBuilder<TFrame> app, int port, Action<WireframeServerBuilder<TFrame>>? configure = null)
    {
        var builder = WireframeServer.Create(app)
            .ListenTcp(IPAddress.Loopback.ToString(), port)
            .ConfigureLogging(logging => logging.SetMinimumLevel(LogLevel.Warning));
        configure?.Invoke(builder);
        WireframeServer server = builder.Build();
        await server.StartAsync();
        return new TcpTestServer(server);
    }

    public async ValueTask DisposeAsync() => await Server.DisposeAsync();
}
