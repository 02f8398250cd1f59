namespace Wireframe.Outbound;

/// <summary>What <see cref="PushHandle{TFrame}.TryPush"/> does when the queue is full.</summary>
public enum PushFullPolicy
{
    /// <summary>Return <see cref="PushResult.QueueFull"/> and leave the frame with the caller.</summary>
    ReturnError,

    /// <summary>Drop the frame (to the dead-letter queue, if one is configured), counted, without a log line.</summary>
    Drop,

    /// <summary>Drop the frame (to the dead-letter queue, if one is configured), counted, with a throttled warning.</summary>
    WarnAndDrop,
}
