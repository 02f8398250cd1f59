namespace Wireframe.Preamble;

/// <summary>The outcome of one <see cref="IPreambleReader{TPreamble}.TryRead"/> call.</summary>
public enum PreambleStatus
{
    /// <summary>More bytes are needed; nothing was consumed.</summary>
    NeedMoreData,

    /// <summary>The preamble was read and the input advanced past it.</summary>
    Complete,

    /// <summary>The bytes are not a valid preamble.</summary>
    Invalid,
}
