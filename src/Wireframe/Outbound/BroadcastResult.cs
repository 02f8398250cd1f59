namespace Wireframe.Outbound;

/// <summary>What a broadcast did, counted per outcome.</summary>
/// <param name="Queued">Connections whose queue took the frame.</param>
/// <param name="QueueFull">Connections skipped because their queue was full (policy <see cref="PushFullPolicy.ReturnError"/>).</param>
/// <param name="Dropped">Connections whose copy was dropped because their queue was full.</param>
/// <param name="DeadLettered">Connections whose copy went to the dead-letter queue.</param>
/// <param name="RateLimited">Connections whose push rate limit had no permit left.</param>
/// <param name="Closed">Connections that closed before the frame reached them.</param>
public readonly record struct BroadcastResult(int Queued, int QueueFull, int Dropped, int DeadLettered, int RateLimited, int Closed)
{
    internal BroadcastResult Add(PushResult result) => result switch
    {
        PushResult.Queued => this with { Queued = Queued + 1 },
        PushResult.QueueFull => this with { QueueFull = QueueFull + 1 },
        PushResult.Dropped => this with { Dropped = Dropped + 1 },
        PushResult.DeadLettered => this with { DeadLettered = DeadLettered + 1 },
        PushResult.RateLimited => this with { RateLimited = RateLimited + 1 },
        _ => this with { Closed = Closed + 1 },
    };
}
