namespace Wireframe.Outbound;

/// <summary>The values of the <c>wireframe.drop_reason</c> tag on <c>wireframe.server.frames_dropped</c>.</summary>
public static class DropReasons
{
    /// <summary>The push queue was full and there is no dead-letter queue.</summary>
    public const string QueueFull = "queue_full";

    /// <summary>The push queue and the dead-letter queue were both full (or the dead-letter queue was closed).</summary>
    public const string DeadLetterFull = "dlq_full";

    /// <summary>The connection's push rate limit had no permit left (<c>TryPush</c>).</summary>
    public const string RateLimited = "rate_limited";

    /// <summary>The connection was closed or closing.</summary>
    public const string Closed = "closed";
}
