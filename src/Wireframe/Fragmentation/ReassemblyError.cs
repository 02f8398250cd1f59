namespace Wireframe.Fragmentation;

/// <summary>Why a fragment was refused. Every refusal frees the partial message it belonged to.</summary>
internal enum ReassemblyError
{
    /// <summary>A fragment with index above 0 arrived for a message that is not in reassembly (its start was never seen, or the message already completed or was evicted).</summary>
    MissingStart,

    /// <summary>The fragment's index is not the next one in its message's series (a gap or a reordering).</summary>
    OutOfOrder,

    /// <summary>The fragment repeats an index the message already has (including a second index 0 for a key in reassembly).</summary>
    Duplicate,

    /// <summary>A non-final fragment carries the largest possible index, so the series could never end.</summary>
    IndexOverflow,

    /// <summary>The message would exceed <see cref="ReassemblyLimits.MaxMessageSize"/>.</summary>
    MessageTooLarge,

    /// <summary>The connection's partial messages would exceed <see cref="ReassemblyLimits.MaxBufferedBytes"/>.</summary>
    BufferBudgetExceeded,

    /// <summary>Starting the message would exceed <see cref="ReassemblyLimits.MaxConcurrentMessages"/>.</summary>
    TooManyMessages,

    /// <summary>The message's <see cref="ReassemblyLimits.Timeout"/> ran out before this fragment arrived.</summary>
    Expired,
}
