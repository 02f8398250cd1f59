using System.Buffers;
using Wireframe.Connections;

namespace Wireframe.Outbound;

/// <summary>
/// Sends frames to one connection from anywhere: another connection's handler, a timer, a
/// background service. Cheap to copy (one reference), safe from any thread, and it does not keep a
/// closed connection alive. Pushes to a closed connection return <see cref="PushResult.Closed"/>;
/// they never throw for it.
/// </summary>
/// <typeparam name="TFrame">The application's frame type.</typeparam>
/// <remarks>
/// Pushed frames are written asynchronously: a frame's memory must stay unchanged until it has been
/// written (or dropped). Typed pushes serialize at once into a buffer the framework owns, so they
/// have no such rule. Frames from one producer are written in the order it pushed them (within a
/// priority). The default value is a handle to no connection: every push returns <see cref="PushResult.Closed"/>.
/// </remarks>
public readonly struct PushHandle<TFrame> : IEquatable<PushHandle<TFrame>>
{
    private readonly PushQueues<TFrame>? _queues;

    internal PushHandle(PushQueues<TFrame> queues)
    {
        _queues = queues;
    }

    /// <summary>Gets the id of the connection the handle pushes to.</summary>
    public ConnectionId ConnectionId => _queues?.ConnectionId ?? default;

    /// <summary>Gets a value indicating whether the connection still accepts pushes.</summary>
    public bool IsConnected => _queues is { IsAccepting: true };

    internal PushQueues<TFrame>? Queues => _queues;

    /// <summary>Compares two handles.</summary>
    /// <param name="left">A handle.</param>
    /// <param name="right">Another handle.</param>
    /// <returns><see langword="true"/> when both push to the same connection.</returns>
    public static bool operator ==(PushHandle<TFrame> left, PushHandle<TFrame> right) => left.Equals(right);

    /// <summary>Compares two handles.</summary>
    /// <param name="left">A handle.</param>
    /// <param name="right">Another handle.</param>
    /// <returns><see langword="true"/> when they push to different connections.</returns>
    public static bool operator !=(PushHandle<TFrame> left, PushHandle<TFrame> right) => !left.Equals(right);

    /// <summary>
    /// Queues a frame, waiting for room in the queue and for a rate-limit permit: the wait is the
    /// backpressure a fast producer feels from a slow peer.
    /// </summary>
    /// <param name="frame">The frame; its memory must not change until it is written.</param>
    /// <param name="priority">The queue.</param>
    /// <param name="cancellationToken">Cancels the wait (the frame is then not queued).</param>
    /// <returns><see cref="PushResult.Queued"/>, or <see cref="PushResult.Closed"/> when the connection is gone.</returns>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> fired while waiting.</exception>
    public ValueTask<PushResult> PushAsync(TFrame frame, PushPriority priority = PushPriority.High, CancellationToken cancellationToken = default) =>
        _queues is null
            ? new ValueTask<PushResult>(PushResult.Closed)
            : _queues.PushAsync(new OutboundItem<TFrame>(frame, null), priority, cancellationToken);

    /// <summary>Serializes a message now and queues it (unsolicited: no correlation id), waiting for room and a permit.</summary>
    /// <typeparam name="TMessage">The message type; its formatter is the application's.</typeparam>
    /// <param name="messageId">The outbound message id.</param>
    /// <param name="message">The message.</param>
    /// <param name="priority">The queue.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>What became of the push.</returns>
    public ValueTask<PushResult> PushAsync<TMessage>(uint messageId, TMessage message, PushPriority priority = PushPriority.High, CancellationToken cancellationToken = default) =>
        _queues is null ? new ValueTask<PushResult>(PushResult.Closed)
        : !_queues.IsAccepting ? new ValueTask<PushResult>(_queues.RefuseUnserialized())
        : _queues.PushAsync(Serialize(_queues, messageId, message), priority, cancellationToken);

    /// <summary>Queues a frame if there is room and a permit now; otherwise applies <paramref name="policy"/>. Never waits.</summary>
    /// <param name="frame">The frame; its memory must not change until it is written.</param>
    /// <param name="priority">The queue.</param>
    /// <param name="policy">What to do when the queue is full.</param>
    /// <returns>What became of the push.</returns>
    public PushResult TryPush(TFrame frame, PushPriority priority = PushPriority.High, PushFullPolicy policy = PushFullPolicy.ReturnError) =>
        _queues is null ? PushResult.Closed : _queues.TryPush(new OutboundItem<TFrame>(frame, null), priority, policy);

    /// <summary>Serializes a message and queues it if there is room and a permit now; otherwise applies <paramref name="policy"/>.</summary>
    /// <typeparam name="TMessage">The message type.</typeparam>
    /// <param name="messageId">The outbound message id.</param>
    /// <param name="message">The message.</param>
    /// <param name="priority">The queue.</param>
    /// <param name="policy">What to do when the queue is full.</param>
    /// <returns>What became of the push.</returns>
    public PushResult TryPush<TMessage>(uint messageId, TMessage message, PushPriority priority = PushPriority.High, PushFullPolicy policy = PushFullPolicy.ReturnError) =>
        _queues is null ? PushResult.Closed
        : !_queues.IsAccepting ? _queues.RefuseUnserialized()
        : _queues.TryPush(Serialize(_queues, messageId, message), priority, policy);

    /// <inheritdoc />
    public bool Equals(PushHandle<TFrame> other) => ReferenceEquals(_queues, other._queues);

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is PushHandle<TFrame> other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => _queues?.GetHashCode() ?? 0;

    /// <inheritdoc />
    public override string ToString() => _queues is null ? "PushHandle(none)" : $"PushHandle({_queues.ConnectionId})";

    private static OutboundItem<TFrame> Serialize<TMessage>(PushQueues<TFrame> queues, uint messageId, TMessage message)
    {
        var application = queues.Application;
        var owner = new PooledBufferWriter();
        try
        {
            application.GetFormatter<TMessage>().Serialize(message, owner);
        }
        catch
        {
            owner.Dispose();
            throw;
        }

        TFrame frame = application.Format.CreateFrame(messageId, null, new ReadOnlySequence<byte>(owner.WrittenMemory));
        return new OutboundItem<TFrame>(frame, owner);
    }
}
