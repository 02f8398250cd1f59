namespace Wireframe.Routing;

/// <summary>An <see cref="IRequestExtractor{T}"/> backed by a delegate.</summary>
internal sealed class DelegateExtractor<T>(Func<RequestContext, ValueTask<T>> extract) : IRequestExtractor<T>
{
    public ValueTask<T> ExtractAsync(RequestContext context) => extract(context);
}
