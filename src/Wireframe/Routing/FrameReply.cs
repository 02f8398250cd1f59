using Wireframe.Connections;

namespace Wireframe.Routing;

/// <summary>
/// A <see cref="FrameHandler{TFrame}"/>'s way out: frames sent here are encoded straight into the
/// connection's current batch, in order, and flushed when the read that brought the frame is handled.
/// A stack-only value, so it cannot outlive the handler call that holds the writer.
/// </summary>
/// <typeparam name="TFrame">The application's frame type.</typeparam>
public readonly ref struct FrameReply<TFrame>
{
    private readonly WireframeConnection<TFrame>? _connection;

    internal FrameReply(WireframeConnection<TFrame> connection)
    {
        _connection = connection;
    }

    /// <summary>Gets the connection the frame arrived on: its id, endpoints, services, pushes, and <see cref="WireframeConnection.Close"/>.</summary>
    public WireframeConnection<TFrame> Connection => _connection ?? throw NotInHandler();

    /// <summary>Encodes a frame into the connection's batch.</summary>
    /// <param name="frame">The frame; its memory only needs to stay valid for the call.</param>
    /// <returns><see langword="false"/> when the connection is closed and nothing was sent.</returns>
    public bool Send(in TFrame frame) => (_connection ?? throw NotInHandler()).Writer.SendInRun(frame);

    private static InvalidOperationException NotInHandler() =>
        new($"This {nameof(FrameReply<TFrame>)} was not given to a frame handler; only the one the framework passes in can send.");
}
