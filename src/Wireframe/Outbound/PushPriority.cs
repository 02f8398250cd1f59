namespace Wireframe.Outbound;

/// <summary>The queue a pushed frame waits in. High-priority frames leave first, subject to the fairness budget.</summary>
public enum PushPriority
{
    /// <summary>Urgent traffic (heartbeats, control messages): written before low-priority pushes and response streams.</summary>
    High,

    /// <summary>Bulk traffic (notifications, fan-out): written after high-priority pushes, before response streams.</summary>
    Low,
}
