namespace Wireframe.Framing;

/// <summary>
/// The result of <see cref="IFrameCodec{TFrame}.TryDecode"/>: a frame, a request for more bytes,
/// or a classified error that tells the framework how to resynchronise.
/// </summary>
public readonly struct DecodeResult : IEquatable<DecodeResult>
{
    /// <summary>A value of <see cref="SkipBytes"/> meaning the stream cannot be resynchronised.</summary>
    public const long CannotResynchronize = -1;

    private DecodeResult(DecodeStatus status, FrameErrorKind error, long skipBytes, string? message)
    {
        Status = status;
        Error = error;
        SkipBytes = skipBytes;
        Message = message;
    }

    /// <summary>Gets the outcome.</summary>
    public DecodeStatus Status { get; }

    /// <summary>Gets the error classification when <see cref="Status"/> is <see cref="DecodeStatus.Error"/>.</summary>
    public FrameErrorKind Error { get; }

    /// <summary>
    /// Gets how many bytes, counted from the start of the input, belong to the bad frame and must be
    /// discarded to reach the next frame, or <see cref="CannotResynchronize"/>. The bytes may not be
    /// buffered yet: the framework discards them as they arrive, without buffering them.
    /// </summary>
    public long SkipBytes { get; }

    /// <summary>Gets a human-readable description of the error, naming the limit that was hit, if any.</summary>
    public string? Message { get; }

    /// <summary>Gets the result for "a frame was decoded".</summary>
    public static DecodeResult Decoded => new(DecodeStatus.Frame, FrameErrorKind.None, 0, null);

    /// <summary>Gets the result for "not enough bytes yet".</summary>
    public static DecodeResult NeedMoreData => new(DecodeStatus.NeedMoreData, FrameErrorKind.None, 0, null);

    /// <summary>Creates the result for a frame that declares a length above the configured maximum.</summary>
    /// <param name="skipBytes">Bytes to discard (header plus declared length), or <see cref="CannotResynchronize"/>.</param>
    /// <param name="message">What was declared and which option limits it.</param>
    /// <returns>An error result.</returns>
    public static DecodeResult Oversized(long skipBytes, string message) =>
        new(DecodeStatus.Error, FrameErrorKind.Oversized, skipBytes, message);

    /// <summary>Creates the result for a frame whose bytes break the protocol's rules.</summary>
    /// <param name="skipBytes">Bytes to discard, or <see cref="CannotResynchronize"/>.</param>
    /// <param name="message">What is wrong with the bytes.</param>
    /// <returns>An error result.</returns>
    public static DecodeResult Malformed(long skipBytes, string message) =>
        new(DecodeStatus.Error, FrameErrorKind.Malformed, skipBytes, message);

    /// <inheritdoc />
    public bool Equals(DecodeResult other) =>
        Status == other.Status && Error == other.Error && SkipBytes == other.SkipBytes && Message == other.Message;

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is DecodeResult other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Status, Error, SkipBytes, Message);

    /// <inheritdoc />
    public override string ToString() =>
        Status == DecodeStatus.Error ? $"{Error}: {Message} (skip {SkipBytes})" : Status.ToString();

    /// <summary>Compares two results for equality.</summary>
    /// <param name="left">The first result.</param>
    /// <param name="right">The second result.</param>
    /// <returns><see langword="true"/> when equal.</returns>
    public static bool operator ==(DecodeResult left, DecodeResult right) => left.Equals(right);

    /// <summary>Compares two results for inequality.</summary>
    /// <param name="left">The first result.</param>
    /// <param name="right">The second result.</param>
    /// <returns><see langword="true"/> when different.</returns>
    public static bool operator !=(DecodeResult left, DecodeResult right) => !left.Equals(right);
}
