namespace Wireframe.Serialization;

/// <summary>
/// Thrown when a payload cannot be turned into the handler's message type. The framework treats it
/// as a protocol error of that request: the connection stays open.
/// </summary>
public class MessageFormatException : Exception
{
    /// <summary>Initializes a new instance of the <see cref="MessageFormatException"/> class.</summary>
    public MessageFormatException()
    {
    }

    /// <summary>Initializes a new instance of the <see cref="MessageFormatException"/> class.</summary>
    /// <param name="message">What is wrong with the payload.</param>
    public MessageFormatException(string message)
        : base(message)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="MessageFormatException"/> class.</summary>
    /// <param name="message">What is wrong with the payload.</param>
    /// <param name="innerException">The serializer's own exception.</param>
    public MessageFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
