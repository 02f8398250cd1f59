namespace Wireframe.Connections;

/// <summary>Why a connection ended. Every close carries exactly one reason.</summary>
public enum DisconnectReason
{
    /// <summary>The peer closed its side on a frame boundary.</summary>
    PeerClosed,

    /// <summary>The peer closed its side part-way through a frame (see <see cref="DisconnectInfo.Eof"/>).</summary>
    PeerClosedMidFrame,

    /// <summary>The transport failed: connection reset, broken pipe, or aborted by the peer.</summary>
    TransportError,

    /// <summary>A frame was larger than the codec's maximum and the policy is to disconnect.</summary>
    FrameTooLarge,

    /// <summary>A frame was malformed and the policy is to disconnect, or the stream cannot be resynchronised.</summary>
    MalformedFrame,

    /// <summary><see cref="WireframeOptions.MaxConsecutiveFrameErrors"/> bad frames arrived in a row.</summary>
    TooManyFrameErrors,

    /// <summary>A frame with an unrouted message id arrived and the policy is to close.</summary>
    UnknownMessage,

    /// <summary>The preamble did not arrive within <see cref="WireframeOptions.PreambleTimeout"/>.</summary>
    PreambleTimeout,

    /// <summary>The preamble was invalid or longer than <see cref="WireframeOptions.MaxPreambleLength"/>.</summary>
    PreambleInvalid,

    /// <summary>A handler or middleware threw and <see cref="WireframeOptions.HandlerExceptionPolicy"/> closes the connection.</summary>
    HandlerFailed,

    /// <summary>A lifecycle hook (connected, preamble callbacks) threw.</summary>
    HookFailed,

    /// <summary>The server is shutting down and the connection finished within the drain deadline.</summary>
    ServerShutdown,

    /// <summary>The server is shutting down and the connection was aborted at <see cref="WireframeOptions.ShutdownDrainTimeout"/>.</summary>
    DrainTimeout,

    /// <summary>The application closed the connection (<see cref="WireframeConnection.Close"/>).</summary>
    ClosedByApplication,

    /// <summary>The connection was refused on arrival: <see cref="WireframeOptions.MaxConcurrentConnections"/> was reached, or the server is shutting down.</summary>
    Refused,

    /// <summary>The peer stopped reading and the writer stayed blocked longer than <see cref="WireframeOptions.SlowConsumerTimeout"/>.</summary>
    SlowConsumer,

    /// <summary>A fragment was refused (a broken series, a duplicate, a message above <see cref="WireframeOptions.MaxMessageSize"/>) and <see cref="WireframeOptions.ReassemblyErrorAction"/> is to disconnect.</summary>
    ReassemblyFailed,

    /// <summary>Partial messages would have exceeded <see cref="WireframeOptions.MaxBufferedBytesPerConnection"/> or <see cref="WireframeOptions.MaxMessagesInReassembly"/>.</summary>
    MemoryBudgetExceeded,
}
