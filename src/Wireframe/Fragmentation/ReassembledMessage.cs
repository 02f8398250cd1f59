using System.Buffers;
using Wireframe.Connections;

namespace Wireframe.Fragmentation;

/// <summary>
/// A whole logical message out of reassembly. Its payload is valid until <see cref="Dispose"/>
/// (pooled memory); a message that arrived as a single fragment is not copied, and its payload is
/// then valid only as long as the fragment it came in.
/// </summary>
internal readonly struct ReassembledMessage : IDisposable
{
    internal ReassembledMessage(ulong messageKey, ReadOnlySequence<byte> payload, PooledBufferWriter? owner)
    {
        MessageKey = messageKey;
        Payload = payload;
        Owner = owner;
    }

    /// <summary>Gets the key the message's fragments carried.</summary>
    public ulong MessageKey { get; }

    /// <summary>Gets the whole payload, fragments joined in order.</summary>
    public ReadOnlySequence<byte> Payload { get; }

    /// <summary>Gets the pooled buffer that holds the payload, or <see langword="null"/> when it is a view of the input.</summary>
    public PooledBufferWriter? Owner { get; }

    /// <summary>Returns pooled memory; the payload must not be used afterwards.</summary>
    public void Dispose() => Owner?.Dispose();
}
