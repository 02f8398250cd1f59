using System.Buffers;

namespace Wireframe.Framing;

/// <summary>
/// Frames as <c>[length prefix][payload]</c>; the frame is the payload. The prefix size, byte order,
/// adjustment and maximum come from <see cref="LengthDelimitedOptions"/>.
/// </summary>
/// <remarks>
/// A decoded frame is a slice of the connection's input buffer (no copy). An oversized frame is
/// reported from its header alone, with the number of bytes to skip, so the framework can drop it
/// without buffering it.
/// </remarks>
public sealed class LengthDelimitedCodec : IFrameCodec<ReadOnlySequence<byte>>
{
    private readonly LengthPrefix _prefix;

    /// <summary>Initializes a new instance of the <see cref="LengthDelimitedCodec"/> class.</summary>
    /// <param name="options">The framing options; <see langword="null"/> for a 4-byte big-endian prefix and a 1 MiB maximum.</param>
    public LengthDelimitedCodec(LengthDelimitedOptions? options = null)
    {
        _prefix = new LengthPrefix(options ?? new LengthDelimitedOptions());
    }

    /// <summary>Gets the largest payload this codec accepts or sends.</summary>
    public int MaxFrameLength => _prefix.MaxFrameLength;

    /// <inheritdoc />
    public DecodeResult TryDecode(ref ReadOnlySequence<byte> input, out ReadOnlySequence<byte> frame)
    {
        if (TryFindWholeFrame(input.FirstSpan, out int prefixSize, out int payloadLength))
        {
            // The whole frame is in the first segment: made from it directly, it is a one-segment
            // frame even when it ends exactly where the segment does (Slice would end it at the
            // start of the next segment), the same frame the read loop's own run makes.
            frame = input.Start.GetObject() is ReadOnlySequenceSegment<byte> segment
                ? InSegment(segment, input.Start.GetInteger() + prefixSize, payloadLength)
                : input.Slice(prefixSize, payloadLength);
            input = input.Slice(prefixSize + payloadLength);
            return DecodeResult.Decoded;
        }

        frame = default;
        DecodeStatus status = _prefix.TryRead(input, out long length, out DecodeResult error);
        if (status != DecodeStatus.Frame)
        {
            return status == DecodeStatus.Error ? error : DecodeResult.NeedMoreData;
        }

        long total = _prefix.Size + length;
        if (input.Length < total)
        {
            return DecodeResult.NeedMoreData;
        }

        frame = input.Slice(_prefix.Size, length);
        input = input.Slice(total);
        return DecodeResult.Decoded;
    }

    /// <summary>
    /// Finds a valid frame that lies wholly at the start of <paramref name="span"/>: the read loop's
    /// way through the frames of one buffer segment without slicing the input for each. Anything
    /// else (an incomplete frame, an invalid prefix) is left to <see cref="TryDecode"/>.
    /// </summary>
    /// <param name="span">Unread input.</param>
    /// <param name="prefixSize">The prefix's size; the payload follows it.</param>
    /// <param name="payloadLength">The payload's length.</param>
    /// <returns><see langword="true"/> when a whole, valid frame starts the span.</returns>
    internal bool TryFindWholeFrame(ReadOnlySpan<byte> span, out int prefixSize, out int payloadLength)
    {
        prefixSize = _prefix.Size;
        if (_prefix.TryReadValid(span, out long length) && span.Length - prefixSize >= length)
        {
            payloadLength = (int)length;
            return true;
        }

        payloadLength = 0;
        return false;
    }

    /// <summary>The bytes at <paramref name="start"/> of one segment, as a one-segment sequence.</summary>
    /// <param name="segment">The segment.</param>
    /// <param name="start">Where the bytes start in the segment.</param>
    /// <param name="length">How many bytes.</param>
    /// <returns>The sequence.</returns>
    internal static ReadOnlySequence<byte> InSegment(ReadOnlySequenceSegment<byte> segment, int start, int length) =>
        new(segment, start, segment, start + length);

    /// <inheritdoc />
    public void Encode(in ReadOnlySequence<byte> frame, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        Encode<IBufferWriter<byte>>(frame, output);
    }

    /// <summary>Encodes into the connection writer's batch with direct calls (no interface dispatch per frame).</summary>
    internal void Encode(in ReadOnlySequence<byte> frame, Connections.BatchedOutput output) =>
        Encode(frame, new Connections.BatchedOutput.Direct(output));

    /// <inheritdoc />
    public FrameEofKind ClassifyEof(in ReadOnlySequence<byte> remaining) => _prefix.ClassifyEof(remaining);

    // Generic so a struct writer gets code specialised for it (direct, inlinable calls).
    private void Encode<TWriter>(in ReadOnlySequence<byte> frame, TWriter output)
        where TWriter : IBufferWriter<byte>
    {
        int prefixSize = _prefix.Size;
        long length = frame.Length;
        Span<byte> span = output.GetSpan(prefixSize + (int)Math.Min(length, 4096));
        _prefix.Write(span, length);
        if (frame.IsSingleSegment && span.Length - prefixSize >= length)
        {
            frame.FirstSpan.CopyTo(span[prefixSize..]);
            output.Advance(prefixSize + (int)length);
            return;
        }

        output.Advance(prefixSize);
        BufferWriting.Write(output, frame);
    }
}
