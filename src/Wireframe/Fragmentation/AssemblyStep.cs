namespace Wireframe.Fragmentation;

/// <summary>What the read loop does with a frame after inbound assembly looked at it.</summary>
internal enum AssemblyStep
{
    /// <summary>The frame is a whole message as it stands: dispatch it.</summary>
    Dispatch,

    /// <summary>A whole message was rebuilt (header stripped, or fragments joined): dispatch it, then release its buffer, if any.</summary>
    DispatchRebuilt,

    /// <summary>The frame was kept for reassembly, or dropped by policy: nothing to handle yet.</summary>
    Consumed,

    /// <summary>The connection must close (the outcome says why).</summary>
    Stop,

    /// <summary>The frame fed a streamed body: start its handler if it is new, then wait until the handler has room for more.</summary>
    Body,
}
