using Microsoft.Extensions.Logging;

namespace Wireframe.Examples.PingPong;

/// <summary>The example's log lines, source-generated so a disabled level costs one check and no allocation.</summary>
public static partial class PingPongLog
{
    /// <summary>The log category of the request logging middleware.</summary>
    public const string Category = "Wireframe.Examples.PingPong";

    /// <summary>The event id of a request whose handler completed.</summary>
    public const int RequestHandledEventId = 1;

    /// <summary>The event id of a request whose handler threw (the request error hook answers it).</summary>
    public const int RequestFailedEventId = 2;

    [LoggerMessage(RequestHandledEventId, LogLevel.Information, "Message {MessageId} (correlation id {CorrelationId}) handled in {ElapsedMs} ms.")]
    internal static partial void RequestHandled(ILogger logger, uint messageId, ulong? correlationId, double elapsedMs);

    [LoggerMessage(RequestFailedEventId, LogLevel.Information, "Message {MessageId} (correlation id {CorrelationId}) failed in {ElapsedMs} ms.")]
    internal static partial void RequestFailed(ILogger logger, uint messageId, ulong? correlationId, double elapsedMs);
}
