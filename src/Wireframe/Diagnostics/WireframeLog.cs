using System.Net;
using Microsoft.Extensions.Logging;
using Wireframe.Connections;
using Wireframe.Framing;
using Wireframe.Routing;

namespace Wireframe.Diagnostics;

/// <summary>
/// Every log line the framework writes, source-generated with stable event ids (1-99 connections,
/// 100-199 framing, 200-299 requests, 300-399 hosting, 400-499 outbound, 500-599 reassembly and inbound memory). Log category: <c>Wireframe</c>.
/// </summary>
internal static partial class WireframeLog
{
    public const string Category = "Wireframe";

    [LoggerMessage(1, LogLevel.Debug, "Connection {ConnectionId} accepted from {RemoteEndPoint}.")]
    public static partial void ConnectionAccepted(ILogger logger, long connectionId, EndPoint? remoteEndPoint);

    [LoggerMessage(2, LogLevel.Debug, "Connection {ConnectionId} closed: {Reason} after {DurationMs} ms.")]
    public static partial void ConnectionClosed(ILogger logger, long connectionId, DisconnectInfo reason, long durationMs);

    [LoggerMessage(3, LogLevel.Warning, "Connection from {RemoteEndPoint} refused: {Active} connections are open, the limit set by WireframeOptions.MaxConcurrentConnections.")]
    public static partial void ConnectionRejected(ILogger logger, EndPoint? remoteEndPoint, long active);

    [LoggerMessage(4, LogLevel.Debug, "Connection {ConnectionId} ended by the transport: {Message}")]
    public static partial void TransportClosed(ILogger logger, long connectionId, string message);

    [LoggerMessage(5, LogLevel.Information, "Connection {ConnectionId}: peer closed {Eof} with {Remaining} undecoded bytes.")]
    public static partial void PeerClosedMidFrame(ILogger logger, long connectionId, FrameEofKind eof, long remaining);

    [LoggerMessage(6, LogLevel.Error, "Connection {ConnectionId}: the {Hook} hook threw; the connection is closed.")]
    public static partial void HookFailed(ILogger logger, long connectionId, string hook, Exception exception);

    [LoggerMessage(7, LogLevel.Warning, "Connection {ConnectionId} did not finish within WireframeOptions.ShutdownDrainTimeout ({Timeout}); aborting it.")]
    public static partial void DrainTimeoutExpired(ILogger logger, long connectionId, TimeSpan timeout);

    [LoggerMessage(8, LogLevel.Warning, "Connection {ConnectionId}: no preamble within WireframeOptions.PreambleTimeout ({Timeout}); closing.")]
    public static partial void PreambleTimedOut(ILogger logger, long connectionId, TimeSpan timeout);

    [LoggerMessage(9, LogLevel.Warning, "Connection {ConnectionId}: invalid preamble: {Message}; closing.")]
    public static partial void PreambleInvalid(ILogger logger, long connectionId, string message);

    [LoggerMessage(10, LogLevel.Error, "Connection {ConnectionId}: the disconnect hook threw.")]
    public static partial void TeardownFailed(ILogger logger, long connectionId, Exception exception);

    [LoggerMessage(100, LogLevel.Warning, "Connection {ConnectionId}: oversized frame, {Action} (WireframeOptions.OversizedFrameAction): {Message}")]
    public static partial void FrameOversized(ILogger logger, long connectionId, FrameErrorAction action, string? message);

    [LoggerMessage(101, LogLevel.Warning, "Connection {ConnectionId}: malformed frame, {Action} (WireframeOptions.MalformedFrameAction): {Message}")]
    public static partial void FrameMalformed(ILogger logger, long connectionId, FrameErrorAction action, string? message);

    [LoggerMessage(102, LogLevel.Warning, "Connection {ConnectionId}: {Count} bad frames in a row, the limit set by WireframeOptions.MaxConsecutiveFrameErrors; closing.")]
    public static partial void TooManyFrameErrors(ILogger logger, long connectionId, int count);

    [LoggerMessage(103, LogLevel.Warning, "Connection {ConnectionId}: the codec cannot resynchronise after a bad frame; closing.")]
    public static partial void CannotResynchronize(ILogger logger, long connectionId);

    [LoggerMessage(200, LogLevel.Error, "Connection {ConnectionId}: handler for message {MessageId} threw; {Outcome}.")]
    public static partial void HandlerFailed(ILogger logger, long connectionId, uint messageId, string outcome, Exception exception);

    [LoggerMessage(201, LogLevel.Debug, "Connection {ConnectionId}: message {MessageId} failed with a protocol error: {Message}")]
    public static partial void ProtocolError(ILogger logger, long connectionId, uint messageId, string message);

    [LoggerMessage(202, LogLevel.Information, "Connection {ConnectionId}: no route for message {MessageId}; {Action} (WireframeOptions.UnknownMessagePolicy).")]
    public static partial void UnknownMessage(ILogger logger, long connectionId, uint messageId, UnknownMessagePolicy action);

    [LoggerMessage(300, LogLevel.Information, "Wireframe listening on {EndPoint}.")]
    public static partial void Listening(ILogger logger, string endPoint);

    [LoggerMessage(301, LogLevel.Information, "Shutdown: draining {Count} connections, deadline {Timeout}.")]
    public static partial void ShutdownStarted(ILogger logger, long count, TimeSpan timeout);

    [LoggerMessage(400, LogLevel.Warning, "Connection {ConnectionId}: {Priority} push queue full; dropped {Count} frame(s) since the last warning (WireframeOptions.HighPriorityPushCapacity / LowPriorityPushCapacity).")]
    public static partial void PushDropped(ILogger logger, long connectionId, Outbound.PushPriority priority, long count);

    [LoggerMessage(401, LogLevel.Warning, "Push queue and dead-letter queue both full (or the dead-letter queue is closed): {Count} frame(s) lost since the last warning.")]
    public static partial void DeadLetterLost(ILogger logger, long count);

    [LoggerMessage(402, LogLevel.Debug, "Connection {ConnectionId}: stream for message {MessageId} ended: {How}.")]
    public static partial void StreamEnded(ILogger logger, long connectionId, uint messageId, string how);

    [LoggerMessage(403, LogLevel.Warning, "Connection {ConnectionId}: the peer has not read for WireframeOptions.SlowConsumerTimeout ({Timeout}); closing it as a slow consumer.")]
    public static partial void SlowConsumerEvicted(ILogger logger, long connectionId, TimeSpan timeout);

    [LoggerMessage(500, LogLevel.Warning, "Connection {ConnectionId}: fragment of message {MessageKey} refused ({Error}), {Action}: {Detail}")]
    public static partial void FragmentRefused(ILogger logger, long connectionId, ulong messageKey, string error, string action, string detail);

    [LoggerMessage(501, LogLevel.Warning, "Connection {ConnectionId}: {Count} partial messages evicted after WireframeOptions.ReassemblyTimeout ({Timeout}).")]
    public static partial void ReassemblyExpired(ILogger logger, long connectionId, int count, TimeSpan timeout);

    [LoggerMessage(502, LogLevel.Debug, "Connection {ConnectionId}: reading paused, {Bytes} inbound bytes held (80 % of WireframeOptions.MaxBufferedBytesPerConnection, {Budget}).")]
    public static partial void ReadPaused(ILogger logger, long connectionId, long bytes, long budget);
}
