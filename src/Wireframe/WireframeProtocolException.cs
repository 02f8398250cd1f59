namespace Wireframe;

/// <summary>
/// A request-level protocol error raised by a handler: the request fails, the application's request
/// error hook may answer it with an error frame, and the connection stays open.
/// </summary>
public class WireframeProtocolException : Exception
{
    /// <summary>Initializes a new instance of the <see cref="WireframeProtocolException"/> class.</summary>
    public WireframeProtocolException()
    {
    }

    /// <summary>Initializes a new instance of the <see cref="WireframeProtocolException"/> class.</summary>
    /// <param name="message">What went wrong, suitable for the peer.</param>
    public WireframeProtocolException(string message)
        : base(message)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="WireframeProtocolException"/> class.</summary>
    /// <param name="message">What went wrong, suitable for the peer.</param>
    /// <param name="innerException">The cause.</param>
    public WireframeProtocolException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="WireframeProtocolException"/> class with an application error code.</summary>
    /// <param name="code">An application-defined error code the error hook can put on the wire.</param>
    /// <param name="message">What went wrong, suitable for the peer.</param>
    public WireframeProtocolException(int code, string message)
        : base(message)
    {
        Code = code;
    }

    /// <summary>Gets the application-defined error code, if one was given.</summary>
    public int? Code { get; }
}
