using System.Buffers;

namespace Wireframe.Framing;

/// <summary>
/// Turns bytes into frames and frames into bytes. A codec is stateless and shared by every
/// connection of an application, so it must be thread-safe.
/// </summary>
/// <typeparam name="TFrame">The frame type the codec produces and consumes.</typeparam>
/// <remarks>
/// <para>
/// <see cref="TryDecode"/> is called repeatedly on whatever the transport has buffered. It decodes
/// at most one frame per call, so several frames in one read cost several calls and no copies.
/// A frame may reference the input buffer: such a frame is valid until the framework advances past
/// it, which it does only after the frame's handler has completed and its response was encoded.
/// </para>
/// <para>
/// <see cref="Encode"/> writes one frame into the connection's output. It must not keep a reference
/// to the output or to memory it obtained from it.
/// </para>
/// </remarks>
public interface IFrameCodec<TFrame>
{
    /// <summary>
    /// Tries to decode one frame from the start of <paramref name="input"/>.
    /// </summary>
    /// <param name="input">
    /// The buffered bytes. On <see cref="DecodeStatus.Frame"/> the codec slices it past the consumed
    /// bytes; otherwise it must leave it unchanged.
    /// </param>
    /// <param name="frame">The decoded frame when the result is <see cref="DecodeStatus.Frame"/>.</param>
    /// <returns>
    /// <see cref="DecodeResult.Decoded"/>, <see cref="DecodeResult.NeedMoreData"/>, or an error
    /// created with <see cref="DecodeResult.Oversized"/> or <see cref="DecodeResult.Malformed"/>
    /// that says how many bytes to discard to resynchronise.
    /// </returns>
    DecodeResult TryDecode(ref ReadOnlySequence<byte> input, out TFrame frame);

    /// <summary>Writes <paramref name="frame"/>, header included, to <paramref name="output"/>.</summary>
    /// <param name="frame">The frame to encode.</param>
    /// <param name="output">The connection's output buffer.</param>
    void Encode(in TFrame frame, IBufferWriter<byte> output);

    /// <summary>
    /// Classifies the end of the input: called once when the peer closes its side, with the bytes
    /// that did not form a whole frame.
    /// </summary>
    /// <param name="remaining">The undecoded bytes left when the input ended.</param>
    /// <returns>Whether the peer closed cleanly, in the middle of a header, or in the middle of a frame.</returns>
    FrameEofKind ClassifyEof(in ReadOnlySequence<byte> remaining) =>
        remaining.IsEmpty ? FrameEofKind.Clean : FrameEofKind.MidFrame;
}
