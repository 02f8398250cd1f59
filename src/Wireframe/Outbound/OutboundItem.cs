using Wireframe.Connections;

namespace Wireframe.Outbound;

/// <summary>
/// A queued push: the frame and, for typed pushes, the pooled buffer its payload lives in. Whoever
/// takes the item off the queue owns the buffer: the writer returns it after encoding, a drop
/// returns it, a dead-letter hand-off gives it away (the array is then simply not returned to the pool).
/// </summary>
internal readonly struct OutboundItem<TFrame>(TFrame frame, PooledBufferWriter? owner)
{
    public TFrame Frame { get; } = frame;

    public PooledBufferWriter? Owner { get; } = owner;

    public void Release() => Owner?.Dispose();
}
