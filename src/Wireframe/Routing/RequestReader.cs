using System.Runtime.CompilerServices;
using Wireframe.Fragmentation;
using Wireframe.Messages;
using Wireframe.Serialization;

namespace Wireframe.Routing;

/// <summary>
/// Produces a handler's typed request: the frame itself when the handler takes the frame type,
/// a streamed <see cref="MessageBody"/> when the handler takes one, otherwise the payload
/// deserialized by the formatter bound at build time.
/// </summary>
internal sealed class RequestReader<TFrame, TRequest>
{
    private readonly IMessageFormatter<TRequest>? _formatter;
    private readonly IEnvelopeFormat<TFrame> _format;

    public RequestReader(IEnvelopeFormat<TFrame> format, MessageFormatters formatters)
    {
        _format = format;
        _formatter = typeof(TRequest) == typeof(TFrame) || typeof(TRequest) == typeof(MessageBody) ? null : formatters.Get<TRequest>();
    }

    public TRequest Read(RequestContext<TFrame> context)
    {
        if (typeof(TRequest) == typeof(MessageBody))
        {
            // Bodies are streamed: the route is marked at build time and the connection hands the body over.
            MessageBody body = context.Body ?? throw new InvalidOperationException("A message routed to a MessageBody handler arrived without a body.");
            return Unsafe.As<MessageBody, TRequest>(ref body);
        }

        TFrame frame = context.Frame;
        if (_formatter is null)
        {
            return Unsafe.As<TFrame, TRequest>(ref frame);
        }

        return _formatter.Deserialize(_format.GetPayload(frame));
    }
}
