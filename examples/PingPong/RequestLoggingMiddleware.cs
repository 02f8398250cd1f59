using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Wireframe.Messages;
using Wireframe.Routing;

namespace Wireframe.Examples.PingPong;

/// <summary>Logs every request's message id, correlation id and handling time, one entry per request.</summary>
/// <remarks>
/// Registered through the factory overload of <c>Use</c>, so each built application gets its own
/// instance and the logger is created once from that application's services, not per message.
/// </remarks>
internal sealed class RequestLoggingMiddleware(RequestDelegate<Envelope> next)
{
    private ILogger? _logger;

    public ValueTask InvokeAsync(RequestContext<Envelope> context)
    {
        // Every connection of one built application sees the same services, so a race here only
        // creates the same logger twice.
        ILogger logger = _logger ??= CreateLogger(context.Services);
        return logger.IsEnabled(LogLevel.Information) ? LogAsync(context, logger) : next(context);
    }

    private static ILogger CreateLogger(IServiceProvider services) =>
        services.GetService<ILoggerFactory>()?.CreateLogger(PingPongLog.Category) ?? NullLogger.Instance;

    private async ValueTask LogAsync(RequestContext<Envelope> context, ILogger logger)
    {
        TimeProvider time = context.TypedConnection.Application.TimeProvider;
        uint messageId = context.MessageId;
        ulong? correlationId = context.CorrelationId;
        long started = time.GetTimestamp();
        bool handled = false;
        try
        {
            await next(context).ConfigureAwait(false);
            handled = true;
        }
        finally
        {
            // A failure still propagates to the request error hook; this only records it.
            double elapsedMs = time.GetElapsedTime(started).TotalMilliseconds;
            if (handled)
            {
                PingPongLog.RequestHandled(logger, messageId, correlationId, elapsedMs);
            }
            else
            {
                PingPongLog.RequestFailed(logger, messageId, correlationId, elapsedMs);
            }
        }
    }
}
