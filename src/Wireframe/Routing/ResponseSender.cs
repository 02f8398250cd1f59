using System.Runtime.CompilerServices;
using Wireframe.Serialization;

namespace Wireframe.Routing;

/// <summary>
/// Sends a handler's return value: a frame as it is, or a message serialized with the formatter and
/// message id bound at build time, carrying the request's correlation id. <see langword="null"/> sends nothing.
/// </summary>
internal sealed class ResponseSender<TFrame, TResponse>
{
    private readonly IMessageFormatter<TResponse>? _formatter;
    private readonly uint? _messageId;

    public ResponseSender(MessageFormatters formatters, uint? messageId)
    {
        _formatter = typeof(TResponse) == typeof(TFrame) || typeof(TResponse) == typeof(NoResponse) ? null : formatters.Get<TResponse>();
        _messageId = messageId;
    }

    public ValueTask SendAsync(RequestContext<TFrame> context, TResponse response)
    {
        if (response is null)
        {
            return default;
        }

        var writer = context.TypedConnection.Writer;
        ValueTask<bool> pending = _formatter is null
            ? writer.WriteAsync(Unsafe.As<TResponse, TFrame>(ref response))
            : writer.WriteMessageAsync(_messageId ?? context.MessageId, context.CorrelationId, response, _formatter);
        if (pending.IsCompletedSuccessfully)
        {
            _ = pending.Result;
            return default;
        }

        return AwaitAsync(pending);
    }

    private static async ValueTask AwaitAsync(ValueTask<bool> pending) => await pending.ConfigureAwait(false);
}
