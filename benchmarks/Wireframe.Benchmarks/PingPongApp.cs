using Wireframe.Messages;
using Wireframe.Routing;

namespace Wireframe.Benchmarks;

/// <summary>Typed dispatch: <see cref="Ping"/> in, <see cref="Pong"/> (next sequence number) out, through the binary-message serializer.</summary>
internal static class PingPongApp
{
    public const uint PingId = 2;
    public const uint PongId = 3;

    public static WireframeAppBuilder<Envelope> Create()
    {
        var app = WireframeApp.CreateBuilder();
        app.Route<Ping, Pong>(PingId, (ping, _) => new Pong(ping.Sequence + 1));
        app.MapMessageId<Pong>(PongId);
        return app;
    }
}
