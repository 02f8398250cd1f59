namespace Wireframe.Framing;

/// <summary>The outcome of one <see cref="IFrameCodec{TFrame}.TryDecode"/> call.</summary>
public enum DecodeStatus
{
    /// <summary>Not enough bytes are buffered for a whole frame; nothing was consumed.</summary>
    NeedMoreData,

    /// <summary>A frame was decoded and the input was advanced past it.</summary>
    Frame,

    /// <summary>The bytes at the start of the input do not form a valid frame.</summary>
    Error,
}
