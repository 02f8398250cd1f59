namespace Wireframe.Routing;

/// <summary>Presents a handler's list of responses as a stream, so several responses follow the same path (and get the same terminator) as a stream.</summary>
internal sealed class SyncStream<T>(IEnumerable<T> items) : IAsyncEnumerable<T>, IAsyncEnumerator<T>
{
    private IEnumerator<T>? _enumerator;

    public T Current => _enumerator!.Current;

    public IAsyncEnumerator<T> GetAsyncEnumerator(CancellationToken cancellationToken = default)
    {
        _enumerator = items.GetEnumerator();
        return this;
    }

    public ValueTask<bool> MoveNextAsync() => new(_enumerator!.MoveNext());

    public ValueTask DisposeAsync()
    {
        _enumerator?.Dispose();
        return default;
    }
}
