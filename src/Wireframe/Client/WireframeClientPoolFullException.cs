namespace Wireframe.Client;

/// <summary>A call found <see cref="WireframeClientPoolOptions.MaxQueuedCalls"/> calls already waiting for a connection; it was not sent.</summary>
public sealed class WireframeClientPoolFullException : InvalidOperationException
{
    /// <summary>Initializes a new instance of the <see cref="WireframeClientPoolFullException"/> class.</summary>
    public WireframeClientPoolFullException()
    {
    }

    /// <summary>Initializes a new instance of the <see cref="WireframeClientPoolFullException"/> class.</summary>
    /// <param name="message">What was full.</param>
    public WireframeClientPoolFullException(string message)
        : base(message)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="WireframeClientPoolFullException"/> class.</summary>
    /// <param name="message">What was full.</param>
    /// <param name="innerException">The cause.</param>
    public WireframeClientPoolFullException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
