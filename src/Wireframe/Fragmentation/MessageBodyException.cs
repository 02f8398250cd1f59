namespace Wireframe.Fragmentation;

/// <summary>A streamed request body broke off before its last fragment; the message is lost, the reason says why.</summary>
public sealed class MessageBodyException : IOException
{
    /// <summary>Initializes a new instance of the <see cref="MessageBodyException"/> class.</summary>
    public MessageBodyException()
    {
    }

    /// <summary>Initializes a new instance of the <see cref="MessageBodyException"/> class.</summary>
    /// <param name="message">Why the body broke off.</param>
    public MessageBodyException(string message)
        : base(message)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="MessageBodyException"/> class.</summary>
    /// <param name="message">Why the body broke off.</param>
    /// <param name="innerException">The cause.</param>
    public MessageBodyException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
