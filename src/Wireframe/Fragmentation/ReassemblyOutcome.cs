namespace Wireframe.Fragmentation;

/// <summary>What became of a fragment given to reassembly.</summary>
internal enum ReassemblyOutcome
{
    /// <summary>Kept; its message is still incomplete.</summary>
    Buffered,

    /// <summary>It completed its message, which is handed over whole.</summary>
    Completed,

    /// <summary>Refused for the reported <see cref="ReassemblyError"/>; its partial message, if any, was freed.</summary>
    Refused,
}
