namespace Wireframe.Outbound;

/// <summary>The values of the <c>wireframe.stream_end</c> tag on <c>wireframe.server.stream_terminations</c>.</summary>
public static class StreamEnds
{
    /// <summary>The stream ran to its end (the protocol's terminator, if any, was sent).</summary>
    public const string Completed = "completed";

    /// <summary>The stream threw; the request's error handling ran (an error frame for a protocol error).</summary>
    public const string Error = "error";

    /// <summary>The connection closed (peer gone, or closed by the application) before the stream ended.</summary>
    public const string Disconnected = "disconnected";

    /// <summary>A graceful server shutdown cut the stream short.</summary>
    public const string Shutdown = "shutdown";
}
