namespace Wireframe.Fragmentation;

/// <summary>
/// The non-optional limits on reassembly. Every one has a safe default; a peer can never make a
/// connection hold more than <see cref="MaxBufferedBytes"/> of partial messages, or keep one longer
/// than <see cref="Timeout"/>.
/// </summary>
internal sealed record ReassemblyLimits
{
    /// <summary>Gets the largest logical message, in bytes, reassembly accepts. Default 16 MiB.</summary>
    public long MaxMessageSize { get; init; } = 16L * 1024 * 1024;

    /// <summary>Gets the most bytes of partial messages one connection may hold at once. Default 32 MiB.</summary>
    public long MaxBufferedBytes { get; init; } = 32L * 1024 * 1024;

    /// <summary>Gets how many messages may be in reassembly at once on one connection. Default 64.</summary>
    public int MaxConcurrentMessages { get; init; } = 64;

    /// <summary>Gets how long a partial message may wait for its last fragment, from its first. Default 30 seconds.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Throws when a limit is not positive, naming it.</summary>
    /// <param name="name">The option's name, for the message.</param>
    internal void Validate(string name)
    {
        if (MaxMessageSize <= 0 || MaxBufferedBytes <= 0 || MaxConcurrentMessages <= 0 || Timeout <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(name, this, $"{name}: every reassembly limit must be positive.");
        }
    }
}
