using System.Runtime.CompilerServices;
using Wireframe.Messages;
using Wireframe.Serialization;

namespace Wireframe.Routing;

/// <summary>
/// Sends a handler's return value: a frame as it is, or a message serialized with the formatter and
/// message id bound at build time, carrying the request's correlation id. <see langword="null"/> sends nothing.
/// </summary>
internal sealed class ResponseSender<TFrame, TResponse>
{
    private readonly IMessageFormatter<TResponse>? _formatter;
    private readonly IPayloadPassthrough<TResponse>? _passthrough;
    private readonly IEnvelopeFormat<TFrame> _format;
    private readonly uint? _messageId;

    public ResponseSender(IEnvelopeFormat<TFrame> format, MessageFormatters formatters, uint? messageId)
    {
        _format = format;
        _formatter = typeof(TResponse) == typeof(TFrame) || typeof(TResponse) == typeof(NoResponse) ? null : formatters.Get<TResponse>();
        _passthrough = _formatter as IPayloadPassthrough<TResponse>;
        _messageId = messageId;
    }

    public ValueTask SendAsync(RequestContext<TFrame> context, TResponse response)
    {
        if (response is null)
        {
            return default;
        }

        ValueTask<bool> pending = WriteAsync(context, response);
        if (pending.IsCompletedSuccessfully)
        {
            _ = pending.Result;
            return default;
        }

        return AwaitAsync(pending);
    }

    /// <summary>Writes a response frame; <see langword="false"/> when the connection is closed.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ValueTask<bool> WriteAsync(RequestContext<TFrame> context, TResponse response)
    {
        if (response is null)
        {
            return new ValueTask<bool>(true);
        }

        var writer = context.TypedConnection.Writer;
        ValueTask<bool> pending;
        if (_formatter is null)
        {
            pending = writer.WriteAsync(Unsafe.As<TResponse, TFrame>(ref response));
        }
        else if (_passthrough is not null)
        {
            pending = writer.WriteAsync(_format.CreateFrame(_messageId ?? context.MessageId, context.CorrelationId, _passthrough.AsPayload(response)));
        }
        else
        {
            pending = writer.WriteMessageAsync(_messageId ?? context.MessageId, context.CorrelationId, response, _formatter);
        }

        return pending;
    }

    private static async ValueTask AwaitAsync(ValueTask<bool> pending) => await pending.ConfigureAwait(false);
}
