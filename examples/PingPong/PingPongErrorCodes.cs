namespace Wireframe.Examples.PingPong;

/// <summary>The codes an <see cref="Messages.ErrorMessage"/> carries.</summary>
public static class PingPongErrorCodes
{
    /// <summary>The ping's value is <see cref="uint.MaxValue"/>: its pong would overflow.</summary>
    public const ushort ValueOverflow = 1;

    /// <summary>The request's payload could not be read (for a ping: not exactly 4 bytes).</summary>
    public const ushort MalformedPayload = 2;

    /// <summary>A protocol error without a code that fits a u16.</summary>
    public const ushort ProtocolError = 3;

    /// <summary>Any other failure; its details stay in the server's log.</summary>
    public const ushort InternalError = 4;
}
