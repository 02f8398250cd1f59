using Wireframe.Framing;
using Wireframe.Messages;

namespace Wireframe.Client;

/// <summary>Entry points for describing a client.</summary>
public static class WireframeClient
{
    /// <summary>Describes a client for the default wire format (length-prefixed <see cref="Envelope"/> frames).</summary>
    /// <param name="framing">The outer framing; <see langword="null"/> for a 4-byte big-endian prefix and a 1 MiB maximum, as the server's default.</param>
    /// <returns>The builder.</returns>
    public static WireframeClientBuilder<Envelope> CreateBuilder(LengthDelimitedOptions? framing = null) =>
        new(new EnvelopeCodec(framing), EnvelopeFormat.Instance);

    /// <summary>Describes a client for your own frame type.</summary>
    /// <typeparam name="TFrame">The frame type.</typeparam>
    /// <param name="codec">The codec, the same as the server's.</param>
    /// <param name="format">Where the frame keeps its message id, correlation id and payload.</param>
    /// <returns>The builder.</returns>
    public static WireframeClientBuilder<TFrame> CreateBuilder<TFrame>(IFrameCodec<TFrame> codec, IEnvelopeFormat<TFrame> format)
    {
        ArgumentNullException.ThrowIfNull(codec);
        ArgumentNullException.ThrowIfNull(format);
        return new(codec, format);
    }
}
