namespace Wireframe.Framing;

/// <summary>
/// Configures length-prefixed framing: <c>[length prefix][payload]</c>.
/// </summary>
/// <remarks>
/// The payload length is <c>declared + LengthAdjustment - (LengthIncludesPrefix ? PrefixLength : 0)</c>.
/// It is compared with <see cref="MaxFrameLength"/> as soon as the prefix is buffered, before any
/// of the payload is, so a peer cannot make the server buffer more than the maximum.
/// </remarks>
public sealed class LengthDelimitedOptions
{
    /// <summary>The default <see cref="MaxFrameLength"/>: 1 MiB.</summary>
    public const int DefaultMaxFrameLength = 1024 * 1024;

    /// <summary>Gets or sets the prefix size in bytes: 1, 2, 4 (the default) or 8.</summary>
    public int PrefixLength { get; set; } = 4;

    /// <summary>Gets or sets the byte order of the prefix. Defaults to big-endian.</summary>
    public ByteOrder ByteOrder { get; set; } = ByteOrder.BigEndian;

    /// <summary>Gets or sets a value indicating whether the declared length counts the prefix itself.</summary>
    public bool LengthIncludesPrefix { get; set; }

    /// <summary>
    /// Gets or sets a number added to the declared length to obtain the bytes that follow the
    /// prefix, for protocols whose length field counts more or less than the payload.
    /// </summary>
    public int LengthAdjustment { get; set; }

    /// <summary>Gets or sets the largest payload accepted or sent, in bytes. Defaults to 1 MiB.</summary>
    public int MaxFrameLength { get; set; } = DefaultMaxFrameLength;

    /// <summary>Throws when the options are inconsistent.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    public void Validate()
    {
        if (PrefixLength is not (1 or 2 or 4 or 8))
        {
            throw new ArgumentOutOfRangeException(nameof(PrefixLength), PrefixLength, $"{nameof(LengthDelimitedOptions)}.{nameof(PrefixLength)} must be 1, 2, 4 or 8.");
        }

        if (MaxFrameLength < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxFrameLength), MaxFrameLength, $"{nameof(LengthDelimitedOptions)}.{nameof(MaxFrameLength)} must not be negative.");
        }
    }

    internal LengthDelimitedOptions Clone() => (LengthDelimitedOptions)MemberwiseClone();
}
