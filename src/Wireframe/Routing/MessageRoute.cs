namespace Wireframe.Routing;

/// <summary>A handler that takes a typed request and returns a response (or <see langword="null"/>).</summary>
internal sealed class MessageRoute<TFrame, TRequest, TResponse> : RouteHandler<TFrame>
{
    private readonly RequestReader<TFrame, TRequest> _reader;
    private readonly ResponseSender<TFrame, TResponse> _sender;
    private readonly Func<TRequest, RequestContext, ValueTask<TResponse>>? _handler;
    private readonly Func<TRequest, RequestContext, TResponse>? _syncHandler;

    public MessageRoute(RequestReader<TFrame, TRequest> reader, ResponseSender<TFrame, TResponse> sender, Func<TRequest, RequestContext, ValueTask<TResponse>> handler)
        : base($"{typeof(TRequest).Name} -> {typeof(TResponse).Name}")
    {
        _reader = reader;
        _sender = sender;
        _handler = handler;
    }

    /// <summary>Binds a synchronous handler, called directly (no task wrapping) on the hot path.</summary>
    public MessageRoute(RequestReader<TFrame, TRequest> reader, ResponseSender<TFrame, TResponse> sender, Func<TRequest, RequestContext, TResponse> handler)
        : base($"{typeof(TRequest).Name} -> {typeof(TResponse).Name}")
    {
        _reader = reader;
        _sender = sender;
        _syncHandler = handler;
    }

    public override ValueTask InvokeAsync(RequestContext<TFrame> context)
    {
        if (_syncHandler is not null)
        {
            return _sender.SendAsync(context, _syncHandler(_reader.Read(context), context));
        }

        ValueTask<TResponse> pending = _handler!(_reader.Read(context), context);
        return pending.IsCompletedSuccessfully
            ? _sender.SendAsync(context, pending.Result)
            : AwaitAsync(pending, context);
    }

    private async ValueTask AwaitAsync(ValueTask<TResponse> pending, RequestContext<TFrame> context) =>
        await _sender.SendAsync(context, await pending.ConfigureAwait(false)).ConfigureAwait(false);
}
