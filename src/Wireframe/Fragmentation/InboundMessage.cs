using System.Buffers;
using Wireframe.Connections;

namespace Wireframe.Fragmentation;

/// <summary>
/// A whole message as inbound assembly hands it to the read loop: either the decoded frame as it
/// stands, or a payload (fragment headers removed, fragments joined) to build the logical frame around.
/// </summary>
/// <param name="AsIs">Whether the decoded frame is the message, unchanged.</param>
/// <param name="Payload">Without <paramref name="AsIs"/>, the message payload.</param>
/// <param name="Owner">The pooled buffer holding <paramref name="Payload"/>, or <see langword="null"/> when it is a view of the input; the read loop (or the request it hands it to) disposes it.</param>
/// <param name="Body">With <see cref="AssemblyStep.Body"/>, the streamed body the frame fed.</param>
/// <param name="NewBody">Whether the frame started <paramref name="Body"/> (its handler must be started).</param>
internal readonly record struct InboundMessage(bool AsIs, ReadOnlySequence<byte> Payload, PooledBufferWriter? Owner, StreamedBody? Body = null, bool NewBody = false)
{
    /// <summary>The decoded frame is the message.</summary>
    public static readonly InboundMessage Unchanged = new(true, default, null);
}
