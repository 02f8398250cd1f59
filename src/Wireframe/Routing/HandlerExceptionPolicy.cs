namespace Wireframe.Routing;

/// <summary>What an unexpected exception from a handler or middleware ends.</summary>
/// <remarks>
/// Either way the exception is logged with the connection id and counted, and other connections are
/// unaffected. <see cref="WireframeProtocolException"/> and <see cref="Serialization.MessageFormatException"/>
/// are not unexpected: they always fail only their request.
/// </remarks>
public enum HandlerExceptionPolicy
{
    /// <summary>Close the connection: its state may be inconsistent after a bug. The default.</summary>
    CloseConnection,

    /// <summary>Fail only the request (the request-error hook may answer it) and keep serving the connection.</summary>
    FailRequest,
}
