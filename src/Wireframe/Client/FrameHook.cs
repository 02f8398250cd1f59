namespace Wireframe.Client;

/// <summary>A client hook that sees, and may replace, every outbound frame before it is encoded, or every inbound frame before it is matched.</summary>
/// <typeparam name="TFrame">The protocol's frame type.</typeparam>
/// <param name="frame">The frame; an inbound frame's memory is valid only during the call.</param>
public delegate void FrameHook<TFrame>(ref TFrame frame);
