namespace Wireframe.Client;

/// <summary>Where a pool's slot is in its life.</summary>
internal enum PoolSlotState
{
    /// <summary>Connecting for the first time, or again after an idle close.</summary>
    Opening,

    /// <summary>Connected: calls may be admitted.</summary>
    Ready,

    /// <summary>Lost; waiting out a backoff delay or connecting again.</summary>
    Reconnecting,

    /// <summary>Closed for being idle; opened again when a call needs it.</summary>
    Idle,

    /// <summary>Lost with reconnecting off, or the pool was disposed.</summary>
    Closed,
}
