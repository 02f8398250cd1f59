namespace Wireframe.Routing;

/// <summary>
/// Handles one decoded frame synchronously, on the read loop, with the connection's writer held:
/// the low-level alternative to routes for relays, proxies and echo-like protocols, which costs no
/// request context, route lookup or per-frame writer entry. See <see cref="WireframeAppBuilder{TFrame}.HandleFrames"/>.
/// </summary>
/// <typeparam name="TFrame">The application's frame type.</typeparam>
/// <param name="frame">The frame; its memory is the connection's input buffer, valid only until the handler returns.</param>
/// <param name="reply">Sends frames into the batch the read loop flushes; valid only until the handler returns.</param>
/// <remarks>
/// The handler must not block: every other writer of the connection (pushes, streams, other tasks'
/// sends) waits while a read's frames are handled. Work that waits belongs in a route.
/// </remarks>
public delegate void FrameHandler<TFrame>(TFrame frame, FrameReply<TFrame> reply);
