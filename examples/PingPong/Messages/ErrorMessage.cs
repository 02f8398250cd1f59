using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using Wireframe.Serialization;

namespace Wireframe.Examples.PingPong.Messages;

/// <summary>
/// A failed request's answer (message id 3). Payload: <c>[u16 BE code][u16 BE text length][text, UTF-8]</c>.
/// </summary>
public sealed record ErrorMessage : IBinaryMessage<ErrorMessage>
{
    /// <summary>The most UTF-8 bytes the text can have: its length prefix is a u16.</summary>
    public const int MaxTextBytes = ushort.MaxValue;

    private const int HeaderSize = 2 * sizeof(ushort);

    // Reading is strict: a peer that sends broken UTF-8 gets a MessageFormatException, not replacement characters.
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Initializes a new instance of the <see cref="ErrorMessage"/> class.</summary>
    /// <param name="code">The application error code (see <see cref="PingPongErrorCodes"/>).</param>
    /// <param name="text">A description for the peer; it is sent as UTF-8, where a lone surrogate becomes U+FFFD.</param>
    /// <exception cref="ArgumentException">The text is longer than <see cref="MaxTextBytes"/> UTF-8 bytes.</exception>
    public ErrorMessage(ushort code, string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        int bytes = Encoding.UTF8.GetByteCount(text);
        if (bytes > MaxTextBytes)
        {
            throw new ArgumentException($"The text is {bytes} UTF-8 bytes; an ErrorMessage carries at most {MaxTextBytes}.", nameof(text));
        }

        Code = code;
        Text = text;
    }

    public ushort Code { get; }

    public string Text { get; }

    public static ErrorMessage Read(ref SequenceReader<byte> reader)
    {
        if (!reader.TryReadBigEndian(out short code) || !reader.TryReadBigEndian(out short length))
        {
            throw new MessageFormatException($"ErrorMessage payload must start with a {HeaderSize}-byte header (code, text length).");
        }

        int textBytes = unchecked((ushort)length);
        if (reader.Remaining < textBytes)
        {
            throw new MessageFormatException($"ErrorMessage text length is {textBytes} bytes, but only {reader.Remaining} follow.");
        }

        string text;
        try
        {
            text = StrictUtf8.GetString(reader.UnreadSequence.Slice(0, textBytes));
        }
        catch (DecoderFallbackException ex)
        {
            throw new MessageFormatException("ErrorMessage text is not valid UTF-8.", ex);
        }

        reader.Advance(textBytes);
        return new ErrorMessage(unchecked((ushort)code), text);
    }

    public void Write(IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);

        // The constructor bounded the length; Encoding.UTF8 replaces lone surrogates exactly as GetByteCount counted them.
        int textBytes = Encoding.UTF8.GetByteCount(Text);
        Span<byte> span = output.GetSpan(HeaderSize + textBytes);
        BinaryPrimitives.WriteUInt16BigEndian(span, Code);
        BinaryPrimitives.WriteUInt16BigEndian(span[sizeof(ushort)..], (ushort)textBytes);
        Encoding.UTF8.GetBytes(Text, span[HeaderSize..]);
        output.Advance(HeaderSize + textBytes);
    }
}
