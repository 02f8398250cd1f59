namespace Wireframe.Client;

/// <summary>A place on one of a pool's connections, taken while the connection was ready; given back when the call ends.</summary>
internal readonly record struct PoolLease<TFrame>(PoolSlot<TFrame> Slot, WireframeClient<TFrame> Client);
