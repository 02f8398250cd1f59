namespace Wireframe.Preamble;

/// <summary>Why a preamble was not accepted.</summary>
public enum PreambleFailureKind
{
    /// <summary>It did not arrive within <see cref="WireframeOptions.PreambleTimeout"/>.</summary>
    Timeout,

    /// <summary>The reader rejected it.</summary>
    Invalid,

    /// <summary>More than <see cref="WireframeOptions.MaxPreambleLength"/> bytes arrived without a complete preamble.</summary>
    TooLarge,

    /// <summary>The peer closed before sending a whole preamble.</summary>
    PeerClosed,
}
