using System.Buffers;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Wireframe.Connections;
using Wireframe.Messages;
using Wireframe.Outbound;

namespace Wireframe.Examples.Chat;

/// <summary>
/// One chat room: who is in it (a <see cref="SessionRegistry{TFrame}"/> of push handles plus their
/// names) and the last lines said. Safe from any connection's handlers at once.
/// </summary>
public sealed class ChatRoom
{
    /// <summary>How many lines the room remembers for <see cref="ChatIds.History"/>.</summary>
    public const int HistoryCapacity = 1000;

    private readonly Lock _lock = new();
    private readonly Dictionary<ConnectionId, string> _names = [];
    private readonly Queue<ChatLine> _history = new();
    private long _sequence;

    /// <summary>Gets the members' push handles; connections leave it by themselves when they close.</summary>
    public SessionRegistry<Envelope> Members { get; } = new();

    /// <summary>Adds a member under a unique name and tells the room.</summary>
    /// <returns>Everyone's names, or <see langword="null"/> when the name is taken.</returns>
    public IReadOnlyList<string>? Join(WireframeConnection<Envelope> connection, string name)
    {
        lock (_lock)
        {
            if (_names.ContainsValue(name) || _names.ContainsKey(connection.Id))
            {
                return null;
            }

            _names[connection.Id] = name;
        }

        Members.Register(connection.Pushes);
        Say("*", $"{name} joined");
        lock (_lock)
        {
            return [.. _names.Values.Order(StringComparer.Ordinal)];
        }
    }

    /// <summary>Removes a member (if it joined) and tells the room.</summary>
    public void Leave(ConnectionId connectionId)
    {
        string? name;
        lock (_lock)
        {
            if (!_names.Remove(connectionId, out name))
            {
                return;
            }
        }

        Members.Remove(connectionId);
        Say("*", $"{name} left");
    }

    /// <summary>Gets the name a connection joined under.</summary>
    public string? NameOf(ConnectionId connectionId)
    {
        lock (_lock)
        {
            return _names.GetValueOrDefault(connectionId);
        }
    }

    /// <summary>
    /// Records a line and pushes it to every member. The line is serialized once; each connection
    /// only frames the same bytes. A member whose queue is full misses the line rather than slowing
    /// the room down (low priority, drop policy).
    /// </summary>
    /// <returns>How many members the line was queued for.</returns>
    public int Say(string from, string text)
    {
        ChatLine line;
        lock (_lock)
        {
            line = new ChatLine(from, text, ++_sequence);
            _history.Enqueue(line);
            if (_history.Count > HistoryCapacity)
            {
                _history.Dequeue();
            }
        }

        byte[] payload = JsonSerializer.SerializeToUtf8Bytes(line, ChatJsonContext.Default.ChatLine);
        var frame = new Envelope(ChatIds.Message, null, new ReadOnlySequence<byte>(payload));
        return Members.Broadcast(frame, PushPriority.Low, PushFullPolicy.Drop).Queued;
    }

    /// <summary>Streams the last <paramref name="limit"/> lines, oldest first.</summary>
    public async IAsyncEnumerable<ChatLine> ReadHistoryAsync(int limit, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ChatLine[] lines;
        lock (_lock)
        {
            lines = [.. _history.Skip(Math.Max(0, _history.Count - limit))];
        }

        for (int i = 0; i < lines.Length; i++)
        {
            // A long history is handed out in pages so one reader does not hold a thread for all of it.
            if (i > 0 && i % 64 == 0)
            {
                await Task.Yield();
            }

            cancellationToken.ThrowIfCancellationRequested();
            yield return lines[i];
        }
    }
}
