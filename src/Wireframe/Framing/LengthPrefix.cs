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
    private readonly ulong _minValidDeclared;
    private readonly ulong _validDeclaredRange;

    public LengthPrefix(LengthDelimitedOptions options)
    {
        options.Validate();
        _prefixLength = options.PrefixLength;
        _bigEndian = options.ByteOrder == ByteOrder.BigEndian;
        _adjustment = options.LengthAdjustment - (options.LengthIncludesPrefix ? options.PrefixLength : 0);
        MaxFrameLength = options.MaxFrameLength;
        _maxRepresentable = _prefixLength == 8 ? long.MaxValue : (1L << (8 * _prefixLength)) - 1;

        // The declared values that need no further checks: declared + adjustment within [0, MaxFrameLength].
        // The bounds fit a long: MaxFrameLength is an int and the adjustment is validated to be small.
        long minValid = Math.Max(0, -_adjustment);
        long maxValid = MaxFrameLength - _adjustment;
        _minValidDeclared = (ulong)minValid;
        _validDeclaredRange = maxValid >= minValid ? (ulong)(maxValid - minValid) : 0;
        HasValidDeclared = maxValid >= minValid;
    }

    public int Size => _prefixLength;

    public int MaxFrameLength { get; }

    private bool HasValidDeclared { get; }

    /// <summary>
    /// The common case in one step: the prefix lies in <paramref name="first"/> and declares a length
    /// within limits. Returns <see langword="false"/> for anything else, which <see cref="TryRead"/>
    /// then classifies.
    /// </summary>
    public bool TryReadValid(ReadOnlySpan<byte> first, out long bodyLength)
    {
        if (first.Length >= _prefixLength && HasValidDeclared)
        {
            // The default prefix (4 bytes, big endian) is read inline; the others through the switch.
            ulong declared = _prefixLength == 4 && _bigEndian ? BinaryPrimitives.ReadUInt32BigEndian(first) : Read(first);
            if (declared - _minValidDeclared <= _validDeclaredRange)
            {
                bodyLength = (long)declared + _adjustment;
                return true;
            }
        }

        bodyLength = 0;
        return false;
    }

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
        long declared = bodyLength - _adjustment;
        if (bodyLength > MaxFrameLength || declared < 0 || declared > _maxRepresentable)
        {
            ThrowUnsendable(bodyLength);
        }

        // The default prefix inline, small enough for the encoders' per-frame path; the rest in a call.
        if (_prefixLength == 4 && _bigEndian)
        {
            BinaryPrimitives.WriteUInt32BigEndian(destination, (uint)declared);
            return;
        }

        WriteDeclared(destination, declared);
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private void WriteDeclared(Span<byte> destination, long declared)
    {
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

    // Kept out of Write so the common path stays small enough to inline.
    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private void ThrowUnsendable(long bodyLength)
    {
        if (bodyLength > MaxFrameLength)
        {
            throw new InvalidOperationException($"Cannot send a frame of {bodyLength} bytes: it is above {nameof(LengthDelimitedOptions)}.{nameof(LengthDelimitedOptions.MaxFrameLength)} ({MaxFrameLength}).");
        }

        throw new InvalidOperationException($"Cannot send a frame of {bodyLength} bytes: its length does not fit a {_prefixLength}-byte prefix.");
    }

    public FrameEofKind ClassifyEof(in ReadOnlySequence<byte> remaining) =>
        remaining.IsEmpty ? FrameEofKind.Clean
        : remaining.Length < _prefixLength ? FrameEofKind.MidHeader
        : FrameEofKind.MidFrame;

    private ulong ReadRaw(in ReadOnlySequence<byte> input)
    {
        ReadOnlySpan<byte> first = input.FirstSpan;
        if (first.Length >= _prefixLength)
        {
            return Read(first);
        }

        Span<byte> copy = stackalloc byte[8];
        input.Slice(0, _prefixLength).CopyTo(copy);
        return Read(copy);
    }

    private ulong Read(ReadOnlySpan<byte> bytes) =>
        _prefixLength switch
        {
            1 => bytes[0],
            2 => _bigEndian ? BinaryPrimitives.ReadUInt16BigEndian(bytes) : BinaryPrimitives.ReadUInt16LittleEndian(bytes),
            4 => _bigEndian ? BinaryPrimitives.ReadUInt32BigEndian(bytes) : BinaryPrimitives.ReadUInt32LittleEndian(bytes),
            _ => _bigEndian ? BinaryPrimitives.ReadUInt64BigEndian(bytes) : BinaryPrimitives.ReadUInt64LittleEndian(bytes),
        };
}
