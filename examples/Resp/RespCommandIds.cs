namespace Wireframe.Examples.Resp;

/// <summary>The message ids the envelope format gives commands; the routes are registered under them.</summary>
public static class RespCommandIds
{
    public const uint Ping = 1;
    public const uint Echo = 2;
    public const uint Get = 3;
    public const uint Set = 4;
    public const uint Del = 5;
    public const uint Incr = 6;
    public const uint Exists = 7;
    public const uint Command = 8;
    public const uint Config = 9;
    public const uint Quit = 10;

    /// <summary>A blank inline line, <c>*0</c> or <c>*-1</c>: Redis ignores them without a reply.</summary>
    public const uint Empty = 100;

    /// <summary>A command name that is not in the table; deliberately unrouted, so the unknown-message hook answers it.</summary>
    public const uint Unknown = 101;

    /// <summary>A reply-shaped frame (simple string, integer, ...) sent to the server; deliberately unrouted.</summary>
    public const uint NotACommand = 102;
}
