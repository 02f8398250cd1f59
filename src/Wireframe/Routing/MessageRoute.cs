namespace Wireframe.Routing;

/// <summary>A handler that takes a typed request and returns a response (or <see langword="null"/>).</summary>
internal sealed class MessageRoute<TFrame, TRequest, TResponse> : RouteHandler<TFrame>
{
    private readonly RequestReader<TFrame, TRequest> _reader;
    private readonly ResponseSender<TFrame, TResponse> _sender;
    private readonly Func<TRequest, RequestContext, ValueTask<TResponse>> _handler;

    public MessageRoute(RequestReader<TFrame, TRequest> reader, ResponseSender<TFrame, TResponse> sender, Func<TRequest, RequestContext, ValueTask<TResponse>> handler)
        : base($"{typeof(TRequest).Name} -> {typeof(TResponse).Name}")
    {
        _reader = reader;
        _sender = sender;
        _handler = handler;
    }

    public override ValueTask InvokeAsync(RequestContext<TFrame> context)
    {
        ValueTask<TResponse> pending = _handler(_reader.Read(context), context);
        return pending.IsCompletedSuccessfully
            ? _sender.SendAsync(context, pending.Result)
            : AwaitAsync(pending, context);
    }

    private async ValueTask AwaitAsync(ValueTask<TResponse> pending, RequestContext<TFrame> context) =>
        await _sender.SendAsync(context, await pending.ConfigureAwait(false)).ConfigureAwait(false);
}
