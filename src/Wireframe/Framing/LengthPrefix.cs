using System.Buffers;
using System.Buffers.Binary;

namespace Wireframe.Framing;

/// <summary>
/// Reads and writes the length prefix described by <see cref="LengthDelimitedOptions"/>; shared by
/// every length-prefixed codec so they agree on limits and error messages.
/// </summary>
internal readonly struct LengthPrefix
{
    private readonly int _prefixLength;
    private readonly bool _bigEndian;
    private readonly long _adjustment;
    private readonly long _maxRepresentable;

    public LengthPrefix(LengthDelimitedOptions options)
    {
        options.Validate();
        _prefixLength = options.PrefixLength;
        _bigEndian = options.ByteOrder == ByteOrder.BigEndian;
        _adjustment = options.LengthAdjustment - (options.LengthIncludesPrefix ? options.PrefixLength : 0);
        MaxFrameLength = options.MaxFrameLength;
        _maxRepresentable = _prefixLength == 8 ? long.MaxValue : (1L << (8 * _prefixLength)) - 1;
    }

    public int Size => _prefixLength;

    public int MaxFrameLength { get; }

    /// <summary>
    /// Reads the prefix and computes the length of what follows it, or returns an error result.
    /// </summary>
    public DecodeStatus TryRead(in ReadOnlySequence<byte> input, out long bodyLength, out DecodeResult error)
    {
        error = default;
        bodyLength = 0;
        if (input.Length < _prefixLength)
        {
            return DecodeStatus.NeedMoreData;
        }

        ulong declared = ReadRaw(input);

        // Int128: an 8-byte prefix plus the adjustment and the prefix itself can overflow a long.
        Int128 length = (Int128)declared + _adjustment;
        if (length < 0)
        {
            error = DecodeResult.Malformed(DecodeResult.CannotResynchronize, $"Frame declares {declared} bytes, which is less than the length adjustment allows ({-_adjustment}).");
            return DecodeStatus.Error;
        }

        if (length > MaxFrameLength)
        {
            Int128 total = _prefixLength + length;
            long skip = total <= long.MaxValue ? (long)total : DecodeResult.CannotResynchronize;
            error = DecodeResult.Oversized(skip, $"Frame declares {length} bytes, above {nameof(LengthDelimitedOptions)}.{nameof(LengthDelimitedOptions.MaxFrameLength)} ({MaxFrameLength}).");
            return DecodeStatus.Error;
        }

        bodyLength = (long)length;
        return DecodeStatus.Frame;
    }

    /// <summary>Writes the prefix for a body of <paramref name="bodyLength"/> bytes.</summary>
    public void Write(Span<byte> destination, long bodyLength)
    {
        if (bodyLength > MaxFrameLength)
        {
            throw new InvalidOperationException($"Cannot send a frame of {bodyLength} bytes: it is above {nameof(LengthDelimitedOptions)}.{nameof(LengthDelimitedOptions.MaxFrameLength)} ({MaxFrameLength}).");
        }

        long declared = bodyLength - _adjustment;
        if (declared < 0 || declared > _maxRepresentable)
        {
            throw new InvalidOperationException($"Cannot send a frame of {bodyLength} bytes: its length does not fit a {_prefixLength}-byte prefix.");
        }

        switch (_prefixLength)
        {
            case 1:
                destination[0] = (byte)declared;
                break;
            case 2:
                if (_bigEndian)
                {
                    BinaryPrimitives.WriteUInt16BigEndian(destination, (ushort)declared);
                }
                else
                {
                    BinaryPrimitives.WriteUInt16LittleEndian(destination, (ushort)declared);
                }

                break;
            case 4:
                if (_bigEndian)
                {
                    BinaryPrimitives.WriteUInt32BigEndian(destination, (uint)declared);
                }
                else
                {
                    BinaryPrimitives.WriteUInt32LittleEndian(destination, (uint)declared);
                }

                break;
            default:
                if (_bigEndian)
                {
                    BinaryPrimitives.WriteUInt64BigEndian(destination, (ulong)declared);
                }
                else
                {
                    BinaryPrimitives.WriteUInt64LittleEndian(destination, (ulong)declared);
                }

                break;
        }
    }

    public FrameEofKind ClassifyEof(in ReadOnlySequence<byte> remaining) =>
        remaining.IsEmpty ? FrameEofKind.Clean
        : remaining.Length < _prefixLength ? FrameEofKind.MidHeader
        : FrameEofKind.MidFrame;

    private ulong ReadRaw(in ReadOnlySequence<byte> input)
    {
        ReadOnlySpan<byte> first = input.FirstSpan;
        Span<byte> copy = stackalloc byte[8];
        scoped ReadOnlySpan<byte> bytes;
        if (first.Length >= _prefixLength)
        {
            bytes = first;
        }
        else
        {
            input.Slice(0, _prefixLength).CopyTo(copy);
            bytes = copy;
        }

        return _prefixLength switch
        {
            1 => bytes[0],
            2 => _bigEndian ? BinaryPrimitives.ReadUInt16BigEndian(bytes) : BinaryPrimitives.ReadUInt16LittleEndian(bytes),
            4 => _bigEndian ? BinaryPrimitives.ReadUInt32BigEndian(bytes) : BinaryPrimitives.ReadUInt32LittleEndian(bytes),
            _ => _bigEndian ? BinaryPrimitives.ReadUInt64BigEndian(bytes) : BinaryPrimitives.ReadUInt64LittleEndian(bytes),
        };
    }
}
