namespace Wireframe.Outbound;

/// <summary>What became of a pushed frame. Pushes never throw for a closed or full connection; they say so here.</summary>
public enum PushResult
{
    /// <summary>The frame is queued and will be written unless the connection closes first.</summary>
    Queued,

    /// <summary>The connection is closed (or closing); the frame was not queued.</summary>
    Closed,

    /// <summary>The queue is full and the policy was <see cref="PushFullPolicy.ReturnError"/>; the frame was not queued and is still the caller's.</summary>
    QueueFull,

    /// <summary>The queue was full and the frame was dropped (and counted) under a drop policy.</summary>
    Dropped,

    /// <summary>The queue was full and the frame went to the dead-letter queue.</summary>
    DeadLettered,

    /// <summary>The connection's push rate limit has no permit left; the frame was not queued.</summary>
    RateLimited,
}
