using System.Buffers.Binary;

namespace Wireframe.LoadGen;

/// <summary>
/// The one request every connection sends over and over. An echo server must return it byte for
/// byte, so the same bytes double as the expected response.
/// </summary>
internal sealed class RequestFrame
{
    public const uint EnvelopeMessageId = 1;

    private RequestFrame(WireMode mode, byte[] bytes)
    {
        Mode = mode;
        Bytes = bytes;
    }

    public WireMode Mode { get; }

    public byte[] Bytes { get; }

    public int Length => Bytes.Length;

    public int HeaderLength => Mode == WireMode.Raw ? 4 : 9;

    public static RequestFrame Create(WireMode mode, int payloadSize)
    {
        int header = mode == WireMode.Raw ? 4 : 9;
        var bytes = new byte[header + payloadSize];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, (uint)(bytes.Length - 4));
        if (mode != WireMode.Raw)
        {
            BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(4), EnvelopeMessageId);
            bytes[8] = 0;
        }

        // A non-constant pattern, so a server that echoes stale or shifted bytes is caught.
        for (int i = 0; i < payloadSize; i++)
        {
            bytes[header + i] = (byte)((i * 31) + 7);
        }

        if (mode == WireMode.FragmentedEnvelope && payloadSize > 0)
        {
            bytes[header] = 0x01;
        }

        return new RequestFrame(mode, bytes);
    }

    /// <summary>
    /// <paramref name="count"/> copies back to back: any batch of k requests is then just the first
    /// k * Length bytes of this buffer, with no per-frame work at send time.
    /// </summary>
    public byte[] Repeat(int count)
    {
        var buffer = new byte[checked(Length * count)];
        for (int i = 0; i < count; i++)
        {
            Bytes.CopyTo(buffer, i * Length);
        }

        return buffer;
    }

    /// <summary>Explains why <paramref name="response"/> (at least 4 bytes) is not this frame.</summary>
    public string DescribeMismatch(ReadOnlySpan<byte> response)
    {
        uint length = BinaryPrimitives.ReadUInt32BigEndian(response);
        uint expectedLength = (uint)(Length - 4);
        if (length != expectedLength)
        {
            return $"malformed response: length prefix {length}, expected {expectedLength}";
        }

        if (Mode != WireMode.Raw)
        {
            uint id = BinaryPrimitives.ReadUInt32BigEndian(response[4..]);
            if (id != EnvelopeMessageId)
            {
                return $"malformed response: message id {id}, expected {EnvelopeMessageId}";
            }

            if (response[8] != 0)
            {
                return $"malformed response: flags 0x{response[8]:x2}, expected 0x00";
            }
        }

        for (int i = HeaderLength; i < Length; i++)
        {
            if (response[i] != Bytes[i])
            {
                return $"malformed response: payload byte {i - HeaderLength} is 0x{response[i]:x2}, expected 0x{Bytes[i]:x2}";
            }
        }

        return "malformed response";
    }
}
