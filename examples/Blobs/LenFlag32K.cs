using System.Buffers;
using System.Buffers.Binary;
using Wireframe.Fragmentation;
using Wireframe.Messages;

namespace Wireframe.Examples.Blobs;

/// <summary>
/// A fragment strategy for a transport whose frames carry at most 32 KiB of message: every frame's
/// payload starts with a 4-byte header, "more follows" flag plus the length of the chunk after it.
/// </summary>
/// <remarks>
/// <code>
/// offset  size  field
/// 0       4     u32 big-endian: bit 31 = more fragments of this message follow;
///               bits 0-30 = length of the chunk that follows (at most 32 KiB, and exactly the rest of the payload)
/// 4       ...   the chunk
/// </code>
/// The header carries no message key and no index: a message's fragments are the frames with its
/// message id, in arrival order, up to the one without the flag. So the fragments of two messages
/// with the same id must never mix, and the strategy does not allow interleaving.
/// </remarks>
public sealed class LenFlag32K : IFragmentStrategy<Envelope>
{
    /// <summary>The most message bytes one frame carries.</summary>
    public const int MaxChunk = 32 * 1024;

    /// <summary>The size of the header in front of every chunk.</summary>
    public const int HeaderSize = 4;

    /// <summary>The "more fragments follow" bit.</summary>
    public const uint MoreFlag = 0x8000_0000;

    /// <summary>The largest envelope body a frame of this protocol needs: header, correlation id and a full chunk.</summary>
    public const int MaxFrameLength = EnvelopeCodec.CorrelatedHeaderSize + HeaderSize + MaxChunk;

    /// <inheritdoc />
    public bool AllowsInterleaving => false;

    /// <inheritdoc />
    public bool ShouldFragment(in Envelope frame) => true;

    /// <inheritdoc />
    public int GetMaxFragmentPayload(in Envelope frame) => MaxChunk;

    /// <inheritdoc />
    public void EncodeHeader(in Envelope frame, in FragmentHeader header, int chunkLength, IBufferWriter<byte> output)
    {
        BinaryPrimitives.WriteUInt32BigEndian(output.GetSpan(HeaderSize), (header.IsLast ? 0 : MoreFlag) | (uint)chunkLength);
        output.Advance(HeaderSize);
    }

    /// <inheritdoc />
    public FragmentDecodeStatus DecodeHeader(in Envelope frame, ReadOnlySequence<byte> payload, out FragmentHeader header, out int headerLength)
    {
        header = default;
        headerLength = 0;
        if (payload.Length < HeaderSize)
        {
            return FragmentDecodeStatus.Malformed;
        }

        Span<byte> field = stackalloc byte[HeaderSize];
        payload.Slice(0, HeaderSize).CopyTo(field);
        uint value = BinaryPrimitives.ReadUInt32BigEndian(field);
        long length = value & ~MoreFlag;
        if (length > MaxChunk || length != payload.Length - HeaderSize)
        {
            return FragmentDecodeStatus.Malformed;
        }

        // No key on the wire: the message id names the message, and arrival order is the index.
        header = FragmentHeader.Sequential(frame.MessageId, isLast: (value & MoreFlag) == 0);
        headerLength = HeaderSize;
        return FragmentDecodeStatus.Fragment;
    }
}
