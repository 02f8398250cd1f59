namespace Wireframe.Fragmentation;

/// <summary>What an inbound frame is, as a fragment strategy reads it.</summary>
public enum FragmentDecodeStatus
{
    /// <summary>A whole message: routed at once, after the header (if any) is stripped from its payload.</summary>
    Whole,

    /// <summary>One fragment of a message, to be reassembled before routing.</summary>
    Fragment,

    /// <summary>The fragment header is invalid; handled like a malformed frame (<see cref="WireframeOptions.MalformedFrameAction"/>).</summary>
    Malformed,
}
