using System.Collections.Frozen;

namespace Wireframe.Routing;

/// <summary>
/// Message id to handler. Ids below <see cref="DenseLimit"/> are looked up in an array, others in a
/// frozen dictionary; both are built once.
/// </summary>
internal sealed class RouteTable<TFrame>
{
    private const uint DenseLimit = 1024;

    private readonly RouteHandler<TFrame>?[] _dense;
    private readonly FrozenDictionary<uint, RouteHandler<TFrame>> _sparse;

    public RouteTable(IReadOnlyDictionary<uint, RouteHandler<TFrame>> routes)
    {
        uint maxDense = routes.Keys.Where(id => id < DenseLimit).DefaultIfEmpty().Max();
        _dense = new RouteHandler<TFrame>?[routes.Count == 0 ? 0 : maxDense + 1];
        var sparse = new Dictionary<uint, RouteHandler<TFrame>>();
        foreach ((uint id, RouteHandler<TFrame> handler) in routes)
        {
            if (id < DenseLimit)
            {
                _dense[id] = handler;
            }
            else
            {
                sparse[id] = handler;
            }
        }

        _sparse = sparse.ToFrozenDictionary();
        Count = routes.Count;
    }

    public int Count { get; }

    public RouteHandler<TFrame>? Find(uint messageId)
    {
        RouteHandler<TFrame>?[] dense = _dense;
        if (messageId < (uint)dense.Length)
        {
            return dense[messageId];
        }

        return _sparse.GetValueOrDefault(messageId);
    }
}
