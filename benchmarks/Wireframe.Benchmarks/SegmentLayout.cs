namespace Wireframe.Benchmarks;

/// <summary>How a decode benchmark's input buffer is laid out in memory.</summary>
public enum SegmentLayout
{
    /// <summary>One contiguous array: the common case, frames inside one pipe block.</summary>
    Contiguous,

    /// <summary>Every frame cut in two at its midpoint, each part its own segment: the straddling slow path.</summary>
    SplitFrames,
}
