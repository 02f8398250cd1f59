using System.Buffers.Binary;
using System.Numerics;
using Wireframe.Framing;

namespace Wireframe.Tests.Framing;

/// <summary>
/// One length-prefix configuration under test, with the arithmetic the options' XML docs promise:
/// bytes after the prefix = declared + LengthAdjustment - (LengthIncludesPrefix ? PrefixLength : 0).
/// </summary>
internal sealed record FramingCase(int PrefixLength, ByteOrder ByteOrder, bool LengthIncludesPrefix, int LengthAdjustment, int MaxFrameLength)
{
    public LengthDelimitedOptions Options => new()
    {
        PrefixLength = PrefixLength,
        ByteOrder = ByteOrder,
        LengthIncludesPrefix = LengthIncludesPrefix,
        LengthAdjustment = LengthAdjustment,
        MaxFrameLength = MaxFrameLength,
    };

    /// <summary>Gets what is added to the declared length to get the bytes after the prefix.</summary>
    public long NetAdjustment => LengthAdjustment - (LengthIncludesPrefix ? PrefixLength : 0);

    /// <summary>Gets the largest value the prefix can hold.</summary>
    public ulong MaxDeclared => PrefixLength == 8 ? ulong.MaxValue : (1UL << (8 * PrefixLength)) - 1;

    /// <summary>Gets the smallest body the codec can send (the declared length cannot be negative).</summary>
    public long MinBody => Math.Max(0, NetAdjustment);

    /// <summary>Gets the largest body the codec can send: the maximum, or what the prefix can declare.</summary>
    public long MaxBody => (long)BigInteger.Min(MaxFrameLength, (BigInteger)Math.Min(MaxDeclared, long.MaxValue) + NetAdjustment);

    /// <summary>Gets the smallest declared value whose body exceeds the maximum, or null when the prefix cannot declare one.</summary>
    public ulong? SmallestOversizedDeclared
    {
        get
        {
            BigInteger threshold = BigInteger.Max(0, (BigInteger)MaxFrameLength + 1 - NetAdjustment);
            return threshold > MaxDeclared ? null : (ulong)threshold;
        }
    }

    /// <summary>Gets the body length a declared value announces (may exceed a long).</summary>
    public BigInteger BodyLength(ulong declared) => (BigInteger)declared + NetAdjustment;

    public byte[] Prefix(ulong declared)
    {
        byte[] bytes = new byte[PrefixLength];
        bool big = ByteOrder == ByteOrder.BigEndian;
        switch (PrefixLength)
        {
            case 1:
                bytes[0] = (byte)declared;
                break;
            case 2:
                if (big)
                {
                    BinaryPrimitives.WriteUInt16BigEndian(bytes, (ushort)declared);
                }
                else
                {
                    BinaryPrimitives.WriteUInt16LittleEndian(bytes, (ushort)declared);
                }

                break;
            case 4:
                if (big)
                {
                    BinaryPrimitives.WriteUInt32BigEndian(bytes, (uint)declared);
                }
                else
                {
                    BinaryPrimitives.WriteUInt32LittleEndian(bytes, (uint)declared);
                }

                break;
            default:
                if (big)
                {
                    BinaryPrimitives.WriteUInt64BigEndian(bytes, declared);
                }
                else
                {
                    BinaryPrimitives.WriteUInt64LittleEndian(bytes, declared);
                }

                break;
        }

        return bytes;
    }

    /// <summary>Builds the wire bytes of a frame whose body is <paramref name="body"/>, by hand (not with the codec under test).</summary>
    public byte[] Frame(byte[] body) => [.. Prefix((ulong)(body.Length - NetAdjustment)), .. body];

    public override string ToString() =>
        $"prefix={PrefixLength} {ByteOrder} includesPrefix={LengthIncludesPrefix} adjustment={LengthAdjustment} max={MaxFrameLength}";
}
