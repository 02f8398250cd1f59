using Microsoft.Extensions.Logging;

namespace Wireframe.Client;

/// <summary>Every log line the client writes (category <c>Wireframe.Client</c>, event ids 600-699).</summary>
internal static partial class ClientLog
{
    public const string Category = "Wireframe.Client";

    [LoggerMessage(600, LogLevel.Debug, "Connected to {EndPoint}.")]
    public static partial void Connected(ILogger logger, string endPoint);

    [LoggerMessage(601, LogLevel.Information, "Connection to {EndPoint} ended with {InFlight} calls in flight: {Reason}")]
    public static partial void Disconnected(ILogger logger, string endPoint, int inFlight, string reason);

    [LoggerMessage(602, LogLevel.Warning, "A response matched no call (correlation id {CorrelationId}, message {MessageId}); it was discarded.")]
    public static partial void UnmatchedResponse(ILogger logger, ulong? correlationId, uint messageId);

    [LoggerMessage(603, LogLevel.Debug, "Call to message {MessageId} (correlation id {CorrelationId}) timed out after WireframeClientOptions.CallTimeout ({Timeout}).")]
    public static partial void CallTimedOut(ILogger logger, uint messageId, ulong correlationId, TimeSpan timeout);

    [LoggerMessage(604, LogLevel.Information, "Pool connection {Slot} to {EndPoint} is down; reconnect attempt {Attempt} in {Delay}.")]
    public static partial void Reconnecting(ILogger logger, int slot, string endPoint, int attempt, TimeSpan delay);

    [LoggerMessage(605, LogLevel.Warning, "Reconnect attempt {Attempt} of pool connection {Slot} to {EndPoint} failed: {Reason}")]
    public static partial void ReconnectFailed(ILogger logger, int attempt, int slot, string endPoint, string reason);

    [LoggerMessage(606, LogLevel.Information, "Pool connection {Slot} to {EndPoint} is back after {Attempts} attempt(s).")]
    public static partial void Reconnected(ILogger logger, int slot, string endPoint, int attempts);

    [LoggerMessage(607, LogLevel.Debug, "Pool connection {Slot} to {EndPoint} closed: no call for WireframeClientPoolOptions.IdleTimeout ({IdleTimeout}).")]
    public static partial void IdleClosed(ILogger logger, int slot, string endPoint, TimeSpan idleTimeout);

    [LoggerMessage(608, LogLevel.Warning, "The client's {Callback} threw for a frame (message {MessageId}); the call the frame answers, if any, failed with it, and the connection goes on.")]
    public static partial void CallbackFailed(ILogger logger, Exception exception, string callback, uint messageId);
}
