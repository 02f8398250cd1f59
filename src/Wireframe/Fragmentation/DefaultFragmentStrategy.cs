using System.Buffers;
using System.Buffers.Binary;

namespace Wireframe.Fragmentation;

/// <summary>
/// The built-in fragment strategy: every message carries a small header at the start of its
/// payload, one byte when the message fits in one fragment and nine when it is split, and split
/// messages carry a key so several can be in flight (and interleave) at once.
/// </summary>
/// <typeparam name="TFrame">The application's frame type.</typeparam>
/// <remarks>
/// <code>
/// offset  size  field
/// 0       1     flags: bit 0 = last fragment; bit 1 = the message is split (key and index follow);
///               bits 2-7 reserved, must be 0
/// 1       4     message key (u32, big-endian), only with bit 1: unique among the sender's split messages in flight
/// 5       4     fragment index (u32, big-endian), only with bit 1: 0, 1, 2, … within the message
/// 1 or 9  ...   the fragment's share of the message payload
/// </code>
/// A whole message is <c>0x01</c> followed by its payload. A header with reserved bits set, a split
/// message's header cut short, or flags <c>0x00</c> (neither last nor split) are malformed.
/// </remarks>
public sealed class DefaultFragmentStrategy<TFrame> : IFragmentStrategy<TFrame>
{
    /// <summary>The header size of a message sent whole.</summary>
    public const int WholeHeaderSize = 1;

    /// <summary>The header size of each fragment of a split message.</summary>
    public const int SplitHeaderSize = 9;

    /// <summary>The flag bit for the last fragment of a message.</summary>
    public const byte LastFlag = 0x01;

    /// <summary>The flag bit for a split message (key and index follow).</summary>
    public const byte SplitFlag = 0x02;

    private readonly int _maxFragmentPayload;
    private readonly Func<TFrame, bool>? _shouldFragment;

    /// <summary>Initializes a new instance of the <see cref="DefaultFragmentStrategy{TFrame}"/> class.</summary>
    /// <param name="maxFragmentPayload">The most message bytes one fragment carries; keep it (plus the 9-byte header and the envelope header) under the codec's maximum frame length.</param>
    /// <param name="shouldFragment">Which frames go through fragmentation; <see langword="null"/> for all of them. Both ends must agree.</param>
    public DefaultFragmentStrategy(int maxFragmentPayload, Func<TFrame, bool>? shouldFragment = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxFragmentPayload);
        _maxFragmentPayload = maxFragmentPayload;
        _shouldFragment = shouldFragment;
    }

    /// <summary>Gets the most message bytes one fragment carries.</summary>
    public int MaxFragmentPayload => _maxFragmentPayload;

    /// <inheritdoc />
    public bool AllowsInterleaving => true;

    /// <inheritdoc />
    public bool ShouldFragment(in TFrame frame) => _shouldFragment is null || _shouldFragment(frame);

    /// <inheritdoc />
    public int GetMaxFragmentPayload(in TFrame frame) => _maxFragmentPayload;

    /// <inheritdoc />
    public void EncodeHeader(in TFrame frame, in FragmentHeader header, int chunkLength, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        if (header.IsLast && header.Index == 0)
        {
            output.GetSpan(1)[0] = LastFlag;
            output.Advance(1);
            return;
        }

        Span<byte> span = output.GetSpan(SplitHeaderSize);
        span[0] = (byte)(SplitFlag | (header.IsLast ? LastFlag : 0));
        BinaryPrimitives.WriteUInt32BigEndian(span[1..], unchecked((uint)header.MessageKey));
        BinaryPrimitives.WriteUInt32BigEndian(span[5..], header.Index);
        output.Advance(SplitHeaderSize);
    }

    /// <inheritdoc />
    public FragmentDecodeStatus DecodeHeader(in TFrame frame, ReadOnlySequence<byte> payload, out FragmentHeader header, out int headerLength)
    {
        header = default;
        headerLength = 0;
        if (!ShouldFragment(frame))
        {
            return FragmentDecodeStatus.Whole;
        }

        if (payload.IsEmpty)
        {
            return FragmentDecodeStatus.Malformed;
        }

        byte flags = payload.FirstSpan[0];
        if ((flags & ~(LastFlag | SplitFlag)) != 0 || flags == 0)
        {
            return FragmentDecodeStatus.Malformed;
        }

        if ((flags & SplitFlag) == 0)
        {
            headerLength = WholeHeaderSize;
            return FragmentDecodeStatus.Whole;
        }

        if (payload.Length < SplitHeaderSize)
        {
            return FragmentDecodeStatus.Malformed;
        }

        Span<byte> fields = stackalloc byte[SplitHeaderSize];
        payload.Slice(0, SplitHeaderSize).CopyTo(fields);
        header = new FragmentHeader(
            BinaryPrimitives.ReadUInt32BigEndian(fields[1..]),
            BinaryPrimitives.ReadUInt32BigEndian(fields[5..]),
            (flags & LastFlag) != 0);
        headerLength = SplitHeaderSize;
        return FragmentDecodeStatus.Fragment;
    }
}
