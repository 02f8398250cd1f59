using System.Runtime.CompilerServices;
using Wireframe.Messages;
using Wireframe.Serialization;

namespace Wireframe.Routing;

/// <summary>
/// Produces a handler's typed request: the frame itself when the handler takes the frame type,
/// otherwise the payload deserialized by the formatter bound at build time.
/// </summary>
internal sealed class RequestReader<TFrame, TRequest>
{
    private readonly IMessageFormatter<TRequest>? _formatter;
    private readonly IEnvelopeFormat<TFrame> _format;

    public RequestReader(IEnvelopeFormat<TFrame> format, MessageFormatters formatters)
    {
        _format = format;
        _formatter = typeof(TRequest) == typeof(TFrame) ? null : formatters.Get<TRequest>();
    }

    public TRequest Read(RequestContext<TFrame> context)
    {
        TFrame frame = context.Frame;
        if (_formatter is null)
        {
            return Unsafe.As<TFrame, TRequest>(ref frame);
        }

        return _formatter.Deserialize(_format.GetPayload(frame));
    }
}
