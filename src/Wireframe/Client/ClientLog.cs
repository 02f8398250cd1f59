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
}
