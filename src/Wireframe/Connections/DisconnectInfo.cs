using Wireframe.Framing;

namespace Wireframe.Connections;

/// <summary>How and why a connection ended; passed to the disconnect hook and exposed by the test kit.</summary>
/// <param name="Reason">Why the connection ended.</param>
/// <param name="Eof">How the peer's input ended, when <paramref name="Reason"/> is a peer close.</param>
/// <param name="Exception">The exception that ended it, if any.</param>
/// <param name="Detail">A human-readable explanation that names the governing option, if any.</param>
public sealed record DisconnectInfo(DisconnectReason Reason, FrameEofKind? Eof = null, Exception? Exception = null, string? Detail = null)
{
    /// <inheritdoc />
    public override string ToString() =>
        Detail is null ? DisconnectReasonNames.Get(Reason) : $"{DisconnectReasonNames.Get(Reason)}: {Detail}";
}
