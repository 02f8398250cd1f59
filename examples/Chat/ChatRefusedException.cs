namespace Wireframe.Examples.Chat;

/// <summary>
/// A request the chat server refused with a <see cref="ChatIds.Error"/> frame (a taken name, a line
/// said before joining): the client fails the call or stream it answered with this exception.
/// </summary>
public sealed class ChatRefusedException : Exception
{
    /// <summary>Initializes a new instance of the <see cref="ChatRefusedException"/> class.</summary>
    /// <param name="message">The server's reason (<see cref="ChatError.Message"/>).</param>
    public ChatRefusedException(string message)
        : base(message)
    {
    }
}
