using System.Buffers;
using Wireframe.Framing;
using Wireframe.Messages;
using Wireframe.Routing;

namespace Wireframe;

/// <summary>Entry points for describing a protocol application.</summary>
public static class WireframeApp
{
    /// <summary>
    /// Starts an application on the default wire format: length-prefixed <see cref="Envelope"/>
    /// frames (message id, optional correlation id, payload).
    /// </summary>
    /// <param name="framing">The outer framing; <see langword="null"/> for a 4-byte big-endian length and a 1 MiB maximum.</param>
    /// <returns>A builder.</returns>
    public static WireframeAppBuilder<Envelope> CreateBuilder(LengthDelimitedOptions? framing = null) =>
        new(new EnvelopeCodec(framing), EnvelopeFormat.Instance);

    /// <summary>
    /// Starts an application whose frames are bare length-prefixed payloads. Every frame has message
    /// id 0: route id 0 to receive them all.
    /// </summary>
    /// <param name="framing">The framing; <see langword="null"/> for a 4-byte big-endian length and a 1 MiB maximum.</param>
    /// <returns>A builder.</returns>
    public static WireframeAppBuilder<ReadOnlySequence<byte>> CreateRawBuilder(LengthDelimitedOptions? framing = null) =>
        new(new LengthDelimitedCodec(framing), RawFrameFormat.Instance);

    /// <summary>Starts an application on your own codec and frame type.</summary>
    /// <typeparam name="TFrame">Your frame type.</typeparam>
    /// <param name="codec">Your codec.</param>
    /// <param name="format">Where your frames keep message ids, correlation ids and payloads.</param>
    /// <returns>A builder.</returns>
    public static WireframeAppBuilder<TFrame> CreateBuilder<TFrame>(IFrameCodec<TFrame> codec, IEnvelopeFormat<TFrame> format) =>
        new(codec, format);
}
