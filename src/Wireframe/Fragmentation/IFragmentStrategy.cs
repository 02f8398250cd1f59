using System.Buffers;
using Wireframe.Messages;

namespace Wireframe.Fragmentation;

/// <summary>
/// Decides how a protocol splits messages that are too large for one frame, and how it recognises
/// the pieces. The fragment header lives at the start of each fragment frame's payload; message id
/// and correlation id stay in the envelope of every fragment. One strategy serves every connection
/// of an application, so it must be stateless or thread-safe.
/// </summary>
/// <typeparam name="TFrame">The application's frame type.</typeparam>
/// <remarks>
/// <para>
/// Outbound, every frame that leaves the connection (responses, stream items, pushes, error frames)
/// is offered to <see cref="ShouldFragment"/>. A frame it accepts is sent as one or more fragments
/// of at most <see cref="GetMaxFragmentPayload"/> payload bytes each, every one prefixed by the
/// header <see cref="EncodeHeader"/> writes, so a message that fits in one fragment still carries a
/// header (with index 0 and <see cref="FragmentHeader.IsLast"/> set).
/// </para>
/// <para>
/// Inbound, <see cref="DecodeHeader"/> tells whole messages from fragments. Fragments are reassembled
/// under <see cref="WireframeOptions.MaxMessageSize"/>, <see cref="WireframeOptions.MaxBufferedBytesPerConnection"/>,
/// <see cref="WireframeOptions.MaxMessagesInReassembly"/> and <see cref="WireframeOptions.ReassemblyTimeout"/>,
/// and handlers only ever see whole messages.
/// </para>
/// <para>
/// Fragment frames, and the message rebuilt from them, are built with
/// <see cref="IEnvelopeFormat{TFrame}.WithPayload"/>: a frame type that carries more than a message
/// id and a correlation id keeps it by overriding that.
/// </para>
/// </remarks>
public interface IFragmentStrategy<TFrame>
{
    /// <summary>
    /// Gets a value indicating whether a high-priority push may be sent between two fragments of
    /// another message. Only safe when the peer can tell the fragments of concurrent messages
    /// apart, that is when the header carries a message key.
    /// </summary>
    bool AllowsInterleaving { get; }

    /// <summary>Decides whether an outbound frame goes through fragmentation at all.</summary>
    /// <param name="frame">The logical frame about to be sent.</param>
    /// <returns><see langword="false"/> to send it as it is, with no fragment header.</returns>
    bool ShouldFragment(in TFrame frame);

    /// <summary>Gets the most payload bytes one fragment of <paramref name="frame"/> carries (header not included).</summary>
    /// <param name="frame">The logical frame about to be sent, so the cap can depend on the message type.</param>
    /// <returns>A positive number of bytes.</returns>
    int GetMaxFragmentPayload(in TFrame frame);

    /// <summary>Writes the header that precedes one fragment's payload.</summary>
    /// <param name="frame">The logical frame being split.</param>
    /// <param name="header">The fragment's place in its message.</param>
    /// <param name="chunkLength">How many payload bytes follow the header in this fragment.</param>
    /// <param name="output">Where the header goes.</param>
    void EncodeHeader(in TFrame frame, in FragmentHeader header, int chunkLength, IBufferWriter<byte> output);

    /// <summary>Reads the fragment header, if any, at the start of an inbound frame's payload.</summary>
    /// <param name="frame">The inbound frame.</param>
    /// <param name="payload">The frame's payload, header included.</param>
    /// <param name="header">With <see cref="FragmentDecodeStatus.Fragment"/>, the fragment's header.</param>
    /// <param name="headerLength">With <see cref="FragmentDecodeStatus.Whole"/> or <see cref="FragmentDecodeStatus.Fragment"/>, how many payload bytes the header took (0 when there is none).</param>
    /// <returns>Whether the frame is a whole message, a fragment, or malformed.</returns>
    FragmentDecodeStatus DecodeHeader(in TFrame frame, ReadOnlySequence<byte> payload, out FragmentHeader header, out int headerLength);
}
