using System.Runtime.CompilerServices;
using Wireframe.Routing;

namespace Wireframe.Connections;

/// <content>Where the read loop's synchronous run hands each frame: to routing, or to the application's frame handler.</content>
public sealed partial class WireframeConnection<TFrame>
{
    /// <summary>
    /// Takes one decoded frame during a synchronous run. Implemented by structs, so the run is
    /// compiled once per sink with the call inlined.
    /// </summary>
    private interface IFrameSink
    {
        /// <summary>Takes a frame; <see langword="false"/> ends the run (with anything still running in <paramref name="pending"/>).</summary>
        bool TryAccept(TFrame frame, out ValueTask pending);

        /// <summary>
        /// <see cref="TryAccept"/> threw on <paramref name="frame"/>: the run ends, and the sink
        /// answers the failure after it (or rethrows, if it cannot). Kept apart from <see cref="TryAccept"/>
        /// so that stays free of exception handling, which would keep it from being inlined.
        /// </summary>
        void Fail(Exception exception, TFrame frame);
    }

    /// <summary>Routes each frame through the middleware pipeline to its handler.</summary>
    private readonly struct RouteSink(WireframeConnection<TFrame> connection) : IFrameSink
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public bool TryAccept(TFrame frame, out ValueTask pending) => connection.TryDispatchInline(frame, out pending);

        // Dispatch answers a failed request itself; anything reaching here is the framework's own.
        public void Fail(Exception exception, TFrame frame) => System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(exception);
    }

    /// <summary>
    /// Hands each frame to the frame handler, with the writer held by the run. Ends the run when the
    /// handler throws (the failure is answered after the writer is given back) or the batch is full.
    /// </summary>
    private struct HandlerSink(WireframeConnection<TFrame> connection, FrameHandler<TFrame> handler) : IFrameSink
    {
        public Exception? Failure = null;
        public TFrame FailedFrame = default!;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public bool TryAccept(TFrame frame, out ValueTask pending)
        {
            pending = default;
            handler(frame, new FrameReply<TFrame>(connection));
            return !connection.Writer.IsBatchFull;
        }

        public void Fail(Exception exception, TFrame frame)
        {
            Failure = exception;
            FailedFrame = frame;
        }
    }
}
