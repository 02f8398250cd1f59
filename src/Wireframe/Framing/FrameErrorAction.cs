namespace Wireframe.Framing;

/// <summary>What the framework does with a frame its codec rejected.</summary>
public enum FrameErrorAction
{
    /// <summary>Close the connection.</summary>
    Disconnect,

    /// <summary>
    /// Discard the bad frame's bytes (as they arrive, without buffering them) and go on with the next
    /// frame. Falls back to <see cref="Disconnect"/> when the codec cannot tell where the next frame starts.
    /// </summary>
    DropFrame,
}
