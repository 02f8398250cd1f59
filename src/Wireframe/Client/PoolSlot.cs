namespace Wireframe.Client;

/// <summary>One place in a pool: the connection in it (if any), its state, and the calls it carries. Guarded by the pool's lock.</summary>
internal sealed class PoolSlot<TFrame>(int index)
{
    public int Index { get; } = index;

    public PoolSlotState State { get; set; } = PoolSlotState.Opening;

    public WireframeClient<TFrame>? Client { get; set; }

    /// <summary>Gets or sets how many admitted calls and streams hold a place on this slot.</summary>
    public int InFlight { get; set; }

    /// <summary>Gets or sets when the slot's connection opened, as a timestamp of the pool's clock.</summary>
    public long ConnectedAt { get; set; }

    /// <summary>Gets or sets how many connect attempts in a row failed or gave a connection that did not stay up: the backoff's exponent.</summary>
    public int Failures { get; set; }

    /// <summary>Gets or sets when the slot last finished a call, as a timestamp of the pool's clock (for idle recycling).</summary>
    public long LastUsed { get; set; }
}
