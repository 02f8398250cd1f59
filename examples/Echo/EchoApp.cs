using System.Buffers;
using Wireframe.Messages;
using Wireframe.Routing;

namespace Wireframe.Examples.Echo;

/// <summary>The Echo example's two applications, shared by its program, tests and benchmarks.</summary>
public static class EchoApp
{
    /// <summary>The message id the routed echo answers.</summary>
    public const uint EchoMessageId = 1;

    /// <summary>
    /// Routed echo: message <see cref="EchoMessageId"/> comes back with the same payload, message id
    /// and correlation id; other ids are unknown (ignored, logged and counted).
    /// </summary>
    /// <param name="framing">The outer framing; <see langword="null"/> for the default (4-byte big-endian prefix, 1 MiB maximum).</param>
    /// <returns>The application description.</returns>
    public static WireframeAppBuilder<Envelope> CreateRouted(Wireframe.Framing.LengthDelimitedOptions? framing = null)
    {
        var app = WireframeApp.CreateBuilder(framing);
        app.Route<ReadOnlySequence<byte>, ReadOnlySequence<byte>>(EchoMessageId, (payload, _) => payload);
        return app;
    }

    /// <summary>
    /// The routed echo with fragmentation on (<see cref="Wireframe.Fragmentation.DefaultFragmentStrategy{TFrame}"/>):
    /// payloads start with the strategy's header, and messages above <paramref name="maxFragmentPayload"/>
    /// travel split and come back split.
    /// </summary>
    /// <param name="maxFragmentPayload">The most message bytes one fragment carries.</param>
    /// <returns>The application description.</returns>
    public static WireframeAppBuilder<Envelope> CreateFragmented(int maxFragmentPayload) =>
        CreateRouted().UseFragmentation(maxFragmentPayload);

    /// <summary>
    /// Raw echo: every length-prefixed frame (4-byte big-endian length) comes back byte for byte,
    /// through a frame handler (<see cref="WireframeAppBuilder{TFrame}.HandleFrames"/>): no envelope,
    /// no routing, the writer held across each read's frames.
    /// </summary>
    /// <returns>The application description.</returns>
    public static WireframeAppBuilder<ReadOnlySequence<byte>> CreateRaw()
    {
        var app = WireframeApp.CreateRawBuilder();
        app.HandleFrames(static (frame, reply) => reply.Send(frame));
        return app;
    }

    /// <summary>
    /// The raw echo through a route instead of a frame handler (every frame has message id 0): the
    /// same bytes on the wire, with a request context, route lookup and handler call per frame.
    /// Benchmarks measure the frame handler against it.
    /// </summary>
    /// <returns>The application description.</returns>
    public static WireframeAppBuilder<ReadOnlySequence<byte>> CreateRawRouted()
    {
        var app = WireframeApp.CreateRawBuilder();
        app.Route<ReadOnlySequence<byte>, ReadOnlySequence<byte>>(0, (frame, _) => frame);
        return app;
    }
}
