namespace Wireframe.Connections;

/// <summary>
/// Carries an exception thrown by a protocol hook (<c>BeforeSend</c>, the stream terminator) out of
/// the writer, so the request's error handling closes the connection as a hook failure instead of
/// mistaking it for the handler's own exception.
/// </summary>
internal sealed class ProtocolHookException(string hook, Exception inner) : Exception($"The {hook} hook threw: {inner.Message}", inner)
{
    /// <summary>Gets the hook's name as logs and disconnect details give it.</summary>
    public string Hook { get; } = hook;
}
