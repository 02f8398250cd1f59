namespace Wireframe.Framing;

/// <summary>How the peer's input ended, relative to frame boundaries.</summary>
public enum FrameEofKind
{
    /// <summary>The input ended on a frame boundary: a normal close.</summary>
    Clean,

    /// <summary>The input ended part-way through a frame header.</summary>
    MidHeader,

    /// <summary>The input ended after a complete header but before the end of its frame.</summary>
    MidFrame,
}
