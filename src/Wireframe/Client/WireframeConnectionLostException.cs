namespace Wireframe.Client;

/// <summary>The client's connection ended: the call was not answered and cannot be.</summary>
public sealed class WireframeConnectionLostException : IOException
{
    /// <summary>Initializes a new instance of the <see cref="WireframeConnectionLostException"/> class.</summary>
    public WireframeConnectionLostException()
    {
    }

    /// <summary>Initializes a new instance of the <see cref="WireframeConnectionLostException"/> class.</summary>
    /// <param name="message">What happened to the connection.</param>
    public WireframeConnectionLostException(string message)
        : base(message)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="WireframeConnectionLostException"/> class.</summary>
    /// <param name="message">What happened to the connection.</param>
    /// <param name="innerException">The cause.</param>
    public WireframeConnectionLostException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
