namespace Wireframe.Framing;

/// <summary>Why a codec rejected the bytes at the start of the input.</summary>
public enum FrameErrorKind
{
    /// <summary>No error.</summary>
    None,

    /// <summary>The frame declares a length above the configured maximum.</summary>
    Oversized,

    /// <summary>The frame's bytes break the protocol's rules.</summary>
    Malformed,
}
