namespace Wireframe.Routing;

/// <summary>A handler whose response is a stream of messages, sent as frames that all carry the request's correlation id.</summary>
internal sealed class StreamRoute<TFrame, TRequest, TItem> : RouteHandler<TFrame>
{
    private readonly RequestReader<TFrame, TRequest> _reader;
    private readonly ResponseSender<TFrame, TItem> _sender;
    private readonly Func<TRequest, RequestContext, IAsyncEnumerable<TItem>> _handler;

    public StreamRoute(RequestReader<TFrame, TRequest> reader, ResponseSender<TFrame, TItem> sender, Func<TRequest, RequestContext, IAsyncEnumerable<TItem>> handler)
        : base($"{typeof(TRequest).Name} -> stream of {typeof(TItem).Name}")
    {
        _reader = reader;
        _sender = sender;
        _handler = handler;
    }

    public override ValueTask InvokeAsync(RequestContext<TFrame> context) =>
        context.TypedConnection.SendStreamAsync(context, _handler(_reader.Read(context), context), _sender);
}
