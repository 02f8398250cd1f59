namespace Wireframe.Routing;

/// <summary>A handler that also takes a parameter supplied by an <see cref="IRequestExtractor{T}"/>.</summary>
internal sealed class ExtractingMessageRoute<TFrame, TRequest, TArg, TResponse> : RouteHandler<TFrame>
{
    private readonly RequestReader<TFrame, TRequest> _reader;
    private readonly IRequestExtractor<TArg> _extractor;
    private readonly ResponseSender<TFrame, TResponse> _sender;
    private readonly Func<TRequest, TArg, RequestContext, ValueTask<TResponse>> _handler;

    public ExtractingMessageRoute(RequestReader<TFrame, TRequest> reader, IRequestExtractor<TArg> extractor, ResponseSender<TFrame, TResponse> sender, Func<TRequest, TArg, RequestContext, ValueTask<TResponse>> handler)
        : base($"{typeof(TRequest).Name}, {typeof(TArg).Name} -> {typeof(TResponse).Name}")
    {
        _reader = reader;
        _extractor = extractor;
        _sender = sender;
        _handler = handler;
    }

    public override ValueTask InvokeAsync(RequestContext<TFrame> context)
    {
        TRequest request = _reader.Read(context);
        ValueTask<TArg> extracting = _extractor.ExtractAsync(context);
        if (!extracting.IsCompletedSuccessfully)
        {
            return ExtractThenInvokeAsync(request, extracting, context);
        }

        ValueTask<TResponse> pending = _handler(request, extracting.Result, context);
        return pending.IsCompletedSuccessfully
            ? _sender.SendAsync(context, pending.Result)
            : AwaitAsync(pending, context);
    }

    private async ValueTask ExtractThenInvokeAsync(TRequest request, ValueTask<TArg> extracting, RequestContext<TFrame> context)
    {
        TArg arg = await extracting.ConfigureAwait(false);
        TResponse response = await _handler(request, arg, context).ConfigureAwait(false);
        await _sender.SendAsync(context, response).ConfigureAwait(false);
    }

    private async ValueTask AwaitAsync(ValueTask<TResponse> pending, RequestContext<TFrame> context) =>
        await _sender.SendAsync(context, await pending.ConfigureAwait(false)).ConfigureAwait(false);
}
