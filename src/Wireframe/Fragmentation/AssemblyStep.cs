namespace Wireframe.Fragmentation;

/// <summary>What the read loop does with a frame after inbound assembly looked at it.</summary>
internal enum AssemblyStep
{
    /// <summary>A whole message is ready for its handler.</summary>
    Dispatch,

    /// <summary>The frame was kept for reassembly, or dropped by policy: nothing to handle yet.</summary>
    Consumed,

    /// <summary>The connection must close (the outcome says why).</summary>
    Stop,

    /// <summary>The frame fed a streamed body: start its handler if it is new, then wait until the handler has room for more.</summary>
    Body,
}
