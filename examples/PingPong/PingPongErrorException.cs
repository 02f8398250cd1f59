using System.Buffers;
using Wireframe.Examples.PingPong.Messages;
using Wireframe.Serialization;

namespace Wireframe.Examples.PingPong;

/// <summary>
/// A request the PingPong server answered with an <see cref="ErrorMessage"/> (message id 3) instead of
/// a pong: the client fails the call with this exception, carrying the error's code and text.
/// </summary>
public sealed class PingPongErrorException : Exception
{
    /// <summary>Initializes a new instance of the <see cref="PingPongErrorException"/> class.</summary>
    /// <param name="error">The server's error message.</param>
    public PingPongErrorException(ErrorMessage error)
        : base(Describe(error ?? throw new ArgumentNullException(nameof(error))))
    {
        Code = error.Code;
        Text = error.Text;
    }

    /// <summary>Gets the error's code (see <see cref="PingPongErrorCodes"/>).</summary>
    public ushort Code { get; }

    /// <summary>Gets the server's description of the error.</summary>
    public string Text { get; }

    /// <summary>
    /// Reads an error frame's payload into the exception its call fails with. An unreadable payload
    /// gives a <see cref="MessageFormatException"/> instead of throwing one: thrown from the client's
    /// error-frame reader, it would end the connection rather than just the call.
    /// </summary>
    /// <param name="payload">The payload of a message 3 frame.</param>
    /// <returns>The exception.</returns>
    public static Exception Read(ReadOnlySequence<byte> payload)
    {
        var reader = new SequenceReader<byte>(payload);
        try
        {
            return new PingPongErrorException(ErrorMessage.Read(ref reader));
        }
        catch (MessageFormatException unreadable)
        {
            return unreadable;
        }
    }

    private static string Describe(ErrorMessage error) =>
        $"The server answered with error {error.Code} ({NameOf(error.Code)}): {error.Text}";

    private static string NameOf(ushort code) => code switch
    {
        PingPongErrorCodes.ValueOverflow => "value overflow",
        PingPongErrorCodes.MalformedPayload => "malformed payload",
        PingPongErrorCodes.ProtocolError => "protocol error",
        PingPongErrorCodes.InternalError => "internal error",
        _ => "unknown code",
    };
}
