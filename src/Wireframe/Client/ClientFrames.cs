using System.Buffers;
using Wireframe.Framing;
using Wireframe.Messages;
using Wireframe.Serialization;

namespace Wireframe.Client;

/// <summary>Reads what a caller gets out of an inbound frame, while the receive buffer is still valid.</summary>
internal static class ClientFrames
{
    /// <summary>
    /// The frame's payload deserialized, or, when <paramref name="formatter"/> is <see langword="null"/>
    /// (the caller wants the frame), the frame decoded again from a private copy so it outlives the buffer.
    /// </summary>
    public static T Read<TFrame, T>(in TFrame frame, ReadOnlySequence<byte> raw, IMessageFormatter<T>? formatter, IFrameCodec<TFrame> codec, IEnvelopeFormat<TFrame> format)
    {
        if (formatter is not null)
        {
            return formatter.Deserialize(format.GetPayload(frame));
        }

        var copy = new ReadOnlySequence<byte>(raw.ToArray());
        codec.TryDecode(ref copy, out TFrame owned);
        return (T)(object)owned!;
    }
}
