namespace Wireframe.Fragmentation;

/// <summary>
/// What a fragment says about itself: which logical message it belongs to, its place in that
/// message's series, and whether it is the last one.
/// </summary>
/// <remarks>
/// Outbound, the framework fills it in: <see cref="MessageKey"/> is unique among the connection's
/// messages sent in several fragments (from 1 upwards; 0 for a message that fits in one fragment),
/// <see cref="Index"/> counts 0, 1, 2, … Inbound, the strategy reads it from the wire. A protocol
/// whose fragments carry no index uses <see cref="Sequential"/>: the fragments of a message then
/// count in arrival order, which an ordered transport keeps.
/// </remarks>
public readonly record struct FragmentHeader
{
    /// <summary>Initializes a new instance of the <see cref="FragmentHeader"/> struct.</summary>
    /// <param name="messageKey">Identifies the logical message on this connection; several messages may be in reassembly at once, one per key.</param>
    /// <param name="index">The fragment's position in its series: 0, 1, 2, … with no gaps.</param>
    /// <param name="isLast">Whether this fragment completes the message.</param>
    public FragmentHeader(ulong messageKey, uint index, bool isLast)
    {
        MessageKey = messageKey;
        Index = index;
        IsLast = isLast;
        HasIndex = true;
    }

    private FragmentHeader(ulong messageKey, bool isLast)
    {
        MessageKey = messageKey;
        IsLast = isLast;
    }

    /// <summary>Gets the key that identifies the fragment's logical message on this connection.</summary>
    public ulong MessageKey { get; }

    /// <summary>Gets the fragment's position in its series (meaningful only with <see cref="HasIndex"/>).</summary>
    public uint Index { get; }

    /// <summary>Gets a value indicating whether this fragment completes the message.</summary>
    public bool IsLast { get; }

    /// <summary>Gets a value indicating whether the wire carried an index; without one, fragments count in arrival order.</summary>
    public bool HasIndex { get; }

    /// <summary>Creates the header of a fragment whose protocol carries no index: it is the next of its message.</summary>
    /// <param name="messageKey">Identifies the logical message on this connection.</param>
    /// <param name="isLast">Whether this fragment completes the message.</param>
    /// <returns>The header.</returns>
    public static FragmentHeader Sequential(ulong messageKey, bool isLast) => new(messageKey, isLast);
}
