using System.Buffers;
using Wireframe.Connections;
using Wireframe.Framing;
using Wireframe.Routing;

namespace Wireframe.Outbound;

/// <summary>
/// Protocol hooks, installed with <see cref="WireframeAppBuilder{TFrame}.WithProtocol"/>. Every member
/// has a do-nothing default, so a protocol implements only what it needs. The connection passed to
/// each hook is the per-connection context: its id, remote endpoint and <see cref="WireframeConnection.Items"/> bag.
/// </summary>
/// <typeparam name="TFrame">The application's frame type.</typeparam>
/// <remarks>
/// Hooks run on the connection's own path (its read loop or its writer), never concurrently for one
/// connection except <see cref="BeforeSend"/>, which runs under the writer's lock from whichever task
/// writes. Hooks must not block.
/// </remarks>
public interface IWireframeProtocol<TFrame>
{
    /// <summary>
    /// Runs once per connection before any frame is read (after the preamble): keep
    /// <paramref name="pushes"/> to send to the peer later, register the connection, start a heartbeat.
    /// An exception closes the connection.
    /// </summary>
    /// <param name="pushes">The connection's push handle; cheap to copy and safe from any thread.</param>
    /// <param name="connection">The connection.</param>
    /// <returns>A task that completes when setup is done.</returns>
    ValueTask OnConnectionSetupAsync(PushHandle<TFrame> pushes, WireframeConnection<TFrame> connection) => default;

    /// <summary>
    /// Sees, and may change, every frame the connection sends: responses, stream items, pushes,
    /// error frames and terminators alike. Runs under the writer's lock, just before encoding.
    /// </summary>
    /// <param name="frame">The outbound frame.</param>
    /// <param name="connection">The connection.</param>
    void BeforeSend(ref TFrame frame, WireframeConnection<TFrame> connection)
    {
    }

    /// <summary>Runs after each request is handled, including after its stream ended or failed.</summary>
    /// <param name="context">The finished request.</param>
    void OnCommandEnd(RequestContext<TFrame> context)
    {
    }

    /// <summary>Runs when the peer ends its input, with how it ended and any bytes that never formed a frame.</summary>
    /// <param name="eof">Clean, mid-header or mid-frame.</param>
    /// <param name="undecoded">Undecoded bytes left over; valid only during the call.</param>
    /// <param name="connection">The connection.</param>
    void OnEof(FrameEofKind eof, ReadOnlySequence<byte> undecoded, WireframeConnection<TFrame> connection)
    {
    }

    /// <summary>
    /// Turns a protocol error (a <see cref="WireframeProtocolException"/> or an unreadable payload,
    /// from a handler or mid-stream) into an error frame for the peer. The request ends; the
    /// connection stays open.
    /// </summary>
    /// <param name="context">The failed request; its correlation id is what the error frame should carry.</param>
    /// <param name="exception">The error.</param>
    /// <param name="frame">The error frame.</param>
    /// <returns><see langword="true"/> to send <paramref name="frame"/>; <see langword="false"/> to send nothing.</returns>
    bool TryCreateErrorFrame(RequestContext<TFrame> context, Exception exception, out TFrame frame)
    {
        frame = default!;
        return false;
    }

    /// <summary>
    /// Supplies the frame that marks the natural end of a streamed response (not sent when the stream
    /// is cut short by an error, a disconnect or shutdown).
    /// </summary>
    /// <param name="context">The request whose stream ended.</param>
    /// <param name="frame">The terminator.</param>
    /// <returns><see langword="true"/> to send <paramref name="frame"/>.</returns>
    bool TryCreateStreamTerminator(RequestContext<TFrame> context, out TFrame frame)
    {
        frame = default!;
        return false;
    }
}
