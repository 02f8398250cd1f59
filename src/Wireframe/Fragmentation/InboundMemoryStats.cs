namespace Wireframe.Fragmentation;

/// <summary>A snapshot of what one connection holds in inbound memory, and what its limits did.</summary>
/// <param name="MessagesInReassembly">Messages with some fragments received and the last one not yet.</param>
/// <param name="BufferedBytes">Bytes held for those partial messages (bounded by <see cref="WireframeOptions.MaxBufferedBytesPerConnection"/>).</param>
/// <param name="InFlightBytes">Bytes of whole messages handed to handlers that are still running concurrently.</param>
/// <param name="MessagesReassembled">Messages completed from two or more fragments.</param>
/// <param name="Evictions">Partial messages evicted by <see cref="WireframeOptions.ReassemblyTimeout"/>.</param>
/// <param name="RefusedFragments">Fragments refused (series errors, size and memory limits, late fragments of evicted messages).</param>
/// <param name="ReadPauses">Times the connection stopped reading at 80 % of its memory budget.</param>
/// <param name="IsReadPaused">Whether the connection is not reading right now because of its memory budget.</param>
public readonly record struct InboundMemoryStats(
    int MessagesInReassembly,
    long BufferedBytes,
    long InFlightBytes,
    long MessagesReassembled,
    long Evictions,
    long RefusedFragments,
    long ReadPauses,
    bool IsReadPaused);
