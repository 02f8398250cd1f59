namespace Wireframe.Fragmentation;

/// <summary>
/// What a fragment says about itself: which logical message it belongs to, its place in that
/// message's series, and whether it is the last one.
/// </summary>
/// <param name="MessageKey">Identifies the logical message on this connection; several messages may be in reassembly at once, one per key.</param>
/// <param name="Index">The fragment's position in its series: 0, 1, 2, … with no gaps.</param>
/// <param name="IsLast">Whether this fragment completes the message.</param>
internal readonly record struct FragmentHeader(ulong MessageKey, uint Index, bool IsLast);
