using Wireframe.Examples.PingPong;
using Wireframe.Examples.PingPong.Messages;
using Wireframe.Messages;
using Wireframe.Routing;

namespace Wireframe.Benchmarks;

/// <summary>
/// Typed dispatch with the PingPong example's messages: <see cref="Ping"/> in, <see cref="Pong"/>
/// (next value) out, through the binary-message serializer. The example's logging middleware and
/// error hook are left out so the scenario measures dispatch alone.
/// </summary>
internal static class PingPongApp
{
    public const uint PingId = Examples.PingPong.PingPongApp.PingMessageId;
    public const uint PongId = Examples.PingPong.PingPongApp.PongMessageId;

    public static WireframeAppBuilder<Envelope> Create()
    {
        var app = WireframeApp.CreateBuilder();
        app.Route<Ping, Pong>(PingId, (ping, _) => new Pong(ping.Value + 1));
        app.MapMessageId<Pong>(PongId);
        return app;
    }
}
