using System.Buffers;
using System.Buffers.Binary;
using Wireframe.Framing;

namespace Wireframe.Messages;

/// <summary>
/// The default wire format: a length-prefixed frame whose body is an envelope header and a payload.
/// </summary>
/// <remarks>
/// <code>
/// offset  size  field
/// 0       4     length of everything after this field (u32, big-endian; configurable)
/// 4       4     message id (u32, big-endian)
/// 8       1     flags: bit 0 = a correlation id follows; bits 1-7 reserved, must be 0
/// 9       8     correlation id (u64, big-endian), only when flags bit 0 is set
/// 9 or 17 ...   payload
/// </code>
/// A body shorter than its header, or with reserved flag bits set, is malformed; the framework can
/// skip it because its length is known.
/// </remarks>
public sealed class EnvelopeCodec : IFrameCodec<Envelope>
{
    /// <summary>The size of the header without a correlation id.</summary>
    public const int HeaderSize = 5;

    /// <summary>The size of the header with a correlation id.</summary>
    public const int CorrelatedHeaderSize = 13;

    /// <summary>The flag bit that says a correlation id follows the flags byte.</summary>
    public const byte CorrelationFlag = 0x01;

    private readonly LengthPrefix _prefix;

    /// <summary>Initializes a new instance of the <see cref="EnvelopeCodec"/> class.</summary>
    /// <param name="framing">The outer framing; <see langword="null"/> for a 4-byte big-endian prefix and a 1 MiB maximum.</param>
    public EnvelopeCodec(LengthDelimitedOptions? framing = null)
    {
        _prefix = new LengthPrefix(framing ?? new LengthDelimitedOptions());
    }

    /// <summary>Gets the largest frame body (envelope header plus payload) accepted or sent.</summary>
    public int MaxFrameLength => _prefix.MaxFrameLength;

    /// <inheritdoc />
    public DecodeResult TryDecode(ref ReadOnlySequence<byte> input, out Envelope frame)
    {
        frame = default;
        DecodeStatus status = _prefix.TryRead(input, out long length, out DecodeResult error);
        if (status != DecodeStatus.Frame)
        {
            return status == DecodeStatus.Error ? error : DecodeResult.NeedMoreData;
        }

        int prefixSize = _prefix.Size;
        long total = prefixSize + length;
        if (length < HeaderSize)
        {
            return DecodeResult.Malformed(total, $"Envelope body is {length} bytes, shorter than the {HeaderSize}-byte header.");
        }

        // Validate the header as soon as it is buffered, so a bad frame is skipped as it arrives
        // instead of being buffered whole first.
        int headerBytes = (int)Math.Min(Math.Min(length, CorrelatedHeaderSize), input.Length - prefixSize);
        if (headerBytes < HeaderSize)
        {
            return DecodeResult.NeedMoreData;
        }

        Span<byte> copy = stackalloc byte[CorrelatedHeaderSize];
        ReadOnlySpan<byte> first = input.FirstSpan;
        scoped ReadOnlySpan<byte> header;
        if (first.Length >= prefixSize + headerBytes)
        {
            header = first.Slice(prefixSize, headerBytes);
        }
        else
        {
            input.Slice(prefixSize, headerBytes).CopyTo(copy);
            header = copy[..headerBytes];
        }

        byte flags = header[4];
        if ((flags & ~CorrelationFlag) != 0)
        {
            return DecodeResult.Malformed(total, $"Envelope flags 0x{flags:x2} set reserved bits.");
        }

        bool correlated = (flags & CorrelationFlag) != 0;
        if (correlated && length < CorrelatedHeaderSize)
        {
            return DecodeResult.Malformed(total, $"Envelope body is {length} bytes, shorter than the {CorrelatedHeaderSize}-byte header with a correlation id.");
        }

        if (input.Length < total)
        {
            return DecodeResult.NeedMoreData;
        }

        // The whole frame is buffered, so a correlated header is complete in 'header'.
        int headerSize = correlated ? CorrelatedHeaderSize : HeaderSize;
        ulong? correlationId = correlated ? BinaryPrimitives.ReadUInt64BigEndian(header.Slice(HeaderSize, 8)) : null;
        frame = new Envelope(BinaryPrimitives.ReadUInt32BigEndian(header), correlationId, input.Slice(prefixSize + headerSize, length - headerSize));
        input = input.Slice(total);
        return DecodeResult.Decoded;
    }

    /// <inheritdoc />
    public void Encode(in Envelope frame, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        int headerSize = frame.CorrelationId.HasValue ? CorrelatedHeaderSize : HeaderSize;
        long payloadLength = frame.Payload.Length;
        long bodyLength = headerSize + payloadLength;
        int prefixSize = _prefix.Size;
        int fixedSize = prefixSize + headerSize;
        Span<byte> span = output.GetSpan(fixedSize + (int)Math.Min(payloadLength, 4096));
        _prefix.Write(span, bodyLength);
        BinaryPrimitives.WriteUInt32BigEndian(span[prefixSize..], frame.MessageId);
        if (frame.CorrelationId is ulong correlationId)
        {
            span[prefixSize + 4] = CorrelationFlag;
            BinaryPrimitives.WriteUInt64BigEndian(span[(prefixSize + HeaderSize)..], correlationId);
        }
        else
        {
            span[prefixSize + 4] = 0;
        }

        if (frame.Payload.IsSingleSegment && span.Length - fixedSize >= payloadLength)
        {
            frame.Payload.FirstSpan.CopyTo(span[fixedSize..]);
            output.Advance(fixedSize + (int)payloadLength);
            return;
        }

        output.Advance(fixedSize);
        BufferWriting.Write(output, frame.Payload);
    }

    /// <inheritdoc />
    public FrameEofKind ClassifyEof(in ReadOnlySequence<byte> remaining)
    {
        if (remaining.IsEmpty)
        {
            return FrameEofKind.Clean;
        }

        int prefixSize = _prefix.Size;
        if (remaining.Length < prefixSize + HeaderSize)
        {
            return FrameEofKind.MidHeader;
        }

        byte flags = remaining.Slice(prefixSize + 4, 1).FirstSpan[0];
        bool inCorrelationId = (flags & CorrelationFlag) != 0 && remaining.Length < prefixSize + CorrelatedHeaderSize;
        return inCorrelationId ? FrameEofKind.MidHeader : FrameEofKind.MidFrame;
    }
}
