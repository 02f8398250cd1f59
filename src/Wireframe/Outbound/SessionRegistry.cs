using System.Buffers;
using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Wireframe.Connections;
using Wireframe.Routing;

namespace Wireframe.Outbound;

/// <summary>
/// Finds connections by id and reaches many at once, without keeping any alive: entries hold weak
/// references to the connections' push queues. A connection leaves the registry by itself when it
/// closes; entries that died some other way are cleaned on lookup and by <see cref="Prune"/>.
/// Safe from any thread.
/// </summary>
/// <typeparam name="TFrame">The application's frame type.</typeparam>
public sealed class SessionRegistry<TFrame>
{
    private readonly ConcurrentDictionary<ConnectionId, WeakReference<PushQueues<TFrame>>> _entries = new();
    private readonly ConditionalWeakTable<PushQueues<TFrame>, WeakReference<PushQueues<TFrame>>> _watched = new();

    /// <summary>Gets the number of entries, including dead ones not yet cleaned.</summary>
    public int Count => _entries.Count;

    /// <summary>Adds a connection (replacing an earlier entry with its id). It is removed when the connection closes.</summary>
    /// <param name="handle">The connection's push handle.</param>
    /// <returns><see langword="false"/> when the connection is already closed (nothing is added).</returns>
    public bool Register(PushHandle<TFrame> handle)
    {
        if (handle.Queues is not { IsAccepting: true } queues)
        {
            return false;
        }

        // One entry object and one close callback per connection, however often it joins and leaves.
        WeakReference<PushQueues<TFrame>> entry = _watched.GetValue(queues, Watch);
        _entries[queues.ConnectionId] = entry;
        return true;
    }

    private WeakReference<PushQueues<TFrame>> Watch(PushQueues<TFrame> queues)
    {
        var entry = new WeakReference<PushQueues<TFrame>>(queues);
        queues.OnClosed(closed => _entries.TryRemove(new KeyValuePair<ConnectionId, WeakReference<PushQueues<TFrame>>>(closed.ConnectionId, entry)));
        return entry;
    }

    /// <summary>Removes a connection.</summary>
    /// <param name="connectionId">Its id.</param>
    /// <returns><see langword="true"/> when it was registered.</returns>
    public bool Remove(ConnectionId connectionId) => _entries.TryRemove(connectionId, out _);

    /// <summary>Looks up a live connection's push handle; a dead entry found on the way is removed.</summary>
    /// <param name="connectionId">The connection's id.</param>
    /// <param name="handle">Its push handle.</param>
    /// <returns><see langword="true"/> when the connection is registered and open.</returns>
    public bool TryGet(ConnectionId connectionId, out PushHandle<TFrame> handle)
    {
        if (_entries.TryGetValue(connectionId, out WeakReference<PushQueues<TFrame>>? entry))
        {
            if (Live(entry) is { } queues)
            {
                handle = new PushHandle<TFrame>(queues);
                return true;
            }

            _entries.TryRemove(new KeyValuePair<ConnectionId, WeakReference<PushQueues<TFrame>>>(connectionId, entry));
        }

        handle = default;
        return false;
    }

    /// <summary>Removes every dead entry.</summary>
    /// <returns>How many were removed.</returns>
    public int Prune()
    {
        int removed = 0;
        foreach (KeyValuePair<ConnectionId, WeakReference<PushQueues<TFrame>>> entry in _entries)
        {
            if (Live(entry.Value) is null && _entries.TryRemove(entry))
            {
                removed++;
            }
        }

        return removed;
    }

    /// <summary>Takes a snapshot of the live connections' push handles, removing dead entries on the way.</summary>
    /// <returns>The handles.</returns>
    public IReadOnlyList<PushHandle<TFrame>> ActiveHandles()
    {
        var handles = new List<PushHandle<TFrame>>(_entries.Count);
        foreach (KeyValuePair<ConnectionId, WeakReference<PushQueues<TFrame>>> entry in _entries)
        {
            if (Live(entry.Value) is { } queues)
            {
                handles.Add(new PushHandle<TFrame>(queues));
            }
            else
            {
                _entries.TryRemove(entry);
            }
        }

        return handles;
    }

    /// <summary>
    /// Pushes one frame to every live connection (or those <paramref name="filter"/> accepts) without
    /// waiting: each connection encodes the same frame into its own output (no per-connection
    /// serialization), and a connection whose queue is full gets <paramref name="policy"/>, so one slow
    /// peer never holds up the rest.
    /// </summary>
    /// <param name="frame">The frame; its memory must stay unchanged until every connection has written it.</param>
    /// <param name="priority">The queue.</param>
    /// <param name="policy">What to do for a connection whose queue is full.</param>
    /// <param name="filter">Chooses recipients by connection id; <see langword="null"/> for all.</param>
    /// <returns>How many connections got the frame, and what happened with the rest.</returns>
    public BroadcastResult Broadcast(TFrame frame, PushPriority priority = PushPriority.Low, PushFullPolicy policy = PushFullPolicy.Drop, Func<ConnectionId, bool>? filter = null)
    {
        var result = default(BroadcastResult);
        foreach (KeyValuePair<ConnectionId, WeakReference<PushQueues<TFrame>>> entry in _entries)
        {
            if (filter is not null && !filter(entry.Key))
            {
                continue;
            }

            if (Live(entry.Value) is not { } queues)
            {
                // A member that left (or is leaving) is one the frame did not reach.
                _entries.TryRemove(entry);
                result = result.Add(PushResult.Closed);
                continue;
            }

            result = result.Add(queues.TryPush(new OutboundItem<TFrame>(frame, null), priority, policy));
        }

        return result;
    }

    /// <summary>Serializes a message once and pushes the resulting frame to every live connection (or those <paramref name="filter"/> accepts).</summary>
    /// <typeparam name="TMessage">The message type; its formatter is <paramref name="application"/>'s.</typeparam>
    /// <param name="application">The application whose format and serializers build the frame.</param>
    /// <param name="messageId">The outbound message id.</param>
    /// <param name="message">The message.</param>
    /// <param name="priority">The queue.</param>
    /// <param name="policy">What to do for a connection whose queue is full.</param>
    /// <param name="filter">Chooses recipients by connection id; <see langword="null"/> for all.</param>
    /// <returns>How many connections got the frame, and what happened with the rest.</returns>
    public BroadcastResult Broadcast<TMessage>(WireframeApplication<TFrame> application, uint messageId, TMessage message, PushPriority priority = PushPriority.Low, PushFullPolicy policy = PushFullPolicy.Drop, Func<ConnectionId, bool>? filter = null)
    {
        ArgumentNullException.ThrowIfNull(application);

        // The payload outlives this call by an unknown time (until the slowest recipient writes it), so it gets its own array.
        var buffer = new ArrayBufferWriter<byte>();
        application.GetFormatter<TMessage>().Serialize(message, buffer);
        TFrame frame = application.Format.CreateFrame(messageId, null, new ReadOnlySequence<byte>(buffer.WrittenMemory));
        return Broadcast(frame, priority, policy, filter);
    }

    private static PushQueues<TFrame>? Live(WeakReference<PushQueues<TFrame>> entry) =>
        entry.TryGetTarget(out PushQueues<TFrame>? queues) && queues.IsAccepting ? queues : null;
}
