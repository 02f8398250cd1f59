using System.Threading.Channels;
using System.Threading.RateLimiting;
using Wireframe.Connections;
using Wireframe.Diagnostics;
using Wireframe.Routing;

namespace Wireframe.Outbound;

/// <summary>
/// One connection's outbound push queues (high and low priority, bounded), its optional rate-limit
/// bucket, and the work item that gets queued frames written when nobody else is writing. It holds
/// the connection's writer only while the connection is open, so a <see cref="PushHandle{TFrame}"/>
/// kept after close pins a few hundred bytes, never the connection or its buffers.
/// </summary>
internal sealed class PushQueues<TFrame> : IThreadPoolWorkItem
{
    private readonly Channel<OutboundItem<TFrame>> _high;
    private readonly Channel<OutboundItem<TFrame>> _low;
    private readonly WireframeApplication<TFrame> _application;
    private readonly PushTokenBucket? _bucket;
    private readonly LogThrottle _fullWarnings;
    private readonly Lock _closeLock = new();
    private ConnectionWriter<TFrame>? _writer;
    private List<Action<PushQueues<TFrame>>>? _onClosed;
    private int _pending;
    private int _pumpScheduled;
    private volatile bool _accepting = true;
    private bool _closed;

    public PushQueues(WireframeApplication<TFrame> application, ConnectionId connectionId, ConnectionWriter<TFrame> writer)
    {
        _application = application;
        ConnectionId = connectionId;
        _writer = writer;
        WireframeOptions options = application.Options;
        _high = Channel.CreateBounded<OutboundItem<TFrame>>(QueueOptions(options.HighPriorityPushCapacity));
        _low = Channel.CreateBounded<OutboundItem<TFrame>>(QueueOptions(options.LowPriorityPushCapacity));
        _bucket = application.PushRateLimiter?.CreateBucket();
        _fullWarnings = new LogThrottle(options.DeadLetterLogEveryN, options.DeadLetterLogInterval, application.TimeProvider);
    }

    public ConnectionId ConnectionId { get; }

    /// <summary>Gets a value indicating whether pushes are still accepted.</summary>
    public bool IsAccepting => _accepting;

    /// <summary>Gets the number of queued frames (may briefly read low while a push is being queued).</summary>
    public int Pending => Volatile.Read(ref _pending);

    internal WireframeApplication<TFrame> Application => _application;

    public ValueTask<PushResult> PushAsync(OutboundItem<TFrame> item, PushPriority priority, CancellationToken cancellationToken)
    {
        if (!_accepting)
        {
            return new ValueTask<PushResult>(Refuse(item));
        }

        if (cancellationToken.IsCancellationRequested)
        {
            item.Release();
            return ValueTask.FromCanceled<PushResult>(cancellationToken);
        }

        bool permitted = _bucket is null || TryTakePermit();
        if (permitted && Queue(priority).Writer.TryWrite(item))
        {
            OnQueued(priority);
            return new ValueTask<PushResult>(PushResult.Queued);
        }

        return PushSlowAsync(item, priority, needPermit: !permitted, cancellationToken);
    }

    public PushResult TryPush(OutboundItem<TFrame> item, PushPriority priority, PushFullPolicy policy)
    {
        if (!_accepting)
        {
            return Refuse(item);
        }

        if (_bucket is not null && !TryTakePermit())
        {
            if (!_accepting)
            {
                // Closed meanwhile (its bucket refuses everything then): say so.
                return Refuse(item);
            }

            item.Release();
            _application.Metrics.FrameDropped(DropReasons.RateLimited);
            return PushResult.RateLimited;
        }

        if (Queue(priority).Writer.TryWrite(item))
        {
            OnQueued(priority);
            return PushResult.Queued;
        }

        if (!_accepting)
        {
            return Refuse(item);
        }

        return policy == PushFullPolicy.ReturnError ? ReturnFull(item) : DropFull(item, priority, policy == PushFullPolicy.WarnAndDrop);
    }

    /// <summary>Refuses a typed push before its message is serialized: the connection no longer accepts pushes.</summary>
    public PushResult RefuseUnserialized()
    {
        _application.Metrics.FrameDropped(DropReasons.Closed);
        return PushResult.Closed;
    }

    /// <summary>Takes the next frame of a priority; the caller owns it.</summary>
    public bool TryDequeue(PushPriority priority, out OutboundItem<TFrame> item)
    {
        if (!Queue(priority).Reader.TryRead(out item))
        {
            return false;
        }

        Interlocked.Decrement(ref _pending);
        _application.Metrics.PushDequeued();
        return true;
    }

    /// <summary>Stops accepting pushes: later pushes, and pushes waiting for room, return <see cref="PushResult.Closed"/>. Queued frames stay.</summary>
    public void StopAccepting()
    {
        _accepting = false;
        _high.Writer.TryComplete();
        _low.Writer.TryComplete();
    }

    /// <summary>Closes for good: drops whatever is still queued, releases the rate-limit bucket and forgets the writer.</summary>
    public void Close()
    {
        List<Action<PushQueues<TFrame>>>? callbacks;
        lock (_closeLock)
        {
            if (_closed)
            {
                return;
            }

            _closed = true;
            callbacks = _onClosed;
            _onClosed = null;
        }

        StopAccepting();
        Volatile.Write(ref _writer, null);
        while (TryDequeue(PushPriority.High, out OutboundItem<TFrame> item) || TryDequeue(PushPriority.Low, out item))
        {
            item.Release();
            _application.Metrics.FrameDropped(DropReasons.Closed);
        }

        if (_bucket is not null)
        {
            _application.PushRateLimiter!.Release(_bucket);
        }

        if (callbacks is not null)
        {
            foreach (Action<PushQueues<TFrame>> callback in callbacks)
            {
                callback(this);
            }
        }
    }

    /// <summary>Runs <paramref name="callback"/> when the queues close (at once if they already have).</summary>
    public void OnClosed(Action<PushQueues<TFrame>> callback)
    {
        lock (_closeLock)
        {
            if (!_closed)
            {
                (_onClosed ??= []).Add(callback);
                return;
            }
        }

        callback(this);
    }

    /// <summary>Gets queued frames written: the writer takes them in priority order when it next holds the lock.</summary>
    public void SchedulePump()
    {
        if (Interlocked.CompareExchange(ref _pumpScheduled, 1, 0) == 0)
        {
            ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
        }
    }

    /// <summary>Called by the pump when it stops; returns <see langword="true"/> when it must go round again.</summary>
    internal bool PumpFinished()
    {
        // A full fence, not a release store: the read of Pending below must not move ahead of this
        // write, or a push that found the pump still scheduled could be left queued with no pump.
        Interlocked.Exchange(ref _pumpScheduled, 0);

        // An aborted writer takes nothing more: going round again would spin until the connection ends.
        return Pending > 0 && Volatile.Read(ref _writer) is { IsCompleted: false } && Interlocked.CompareExchange(ref _pumpScheduled, 1, 0) == 0;
    }

    void IThreadPoolWorkItem.Execute()
    {
        if (Volatile.Read(ref _writer) is { } writer)
        {
            _ = writer.PumpPushesAsync(this);
        }
        else
        {
            Volatile.Write(ref _pumpScheduled, 0);
        }
    }

    private static BoundedChannelOptions QueueOptions(int capacity) => new(capacity)
    {
        FullMode = BoundedChannelFullMode.Wait,
        SingleReader = false,
        SingleWriter = false,
        AllowSynchronousContinuations = false,
    };

    private Channel<OutboundItem<TFrame>> Queue(PushPriority priority) => priority == PushPriority.High ? _high : _low;

    private bool TryTakePermit()
    {
        using RateLimitLease lease = _bucket!.AttemptAcquire(1);
        return lease.IsAcquired;
    }

    private void OnQueued(PushPriority priority)
    {
        Interlocked.Increment(ref _pending);
        _application.Metrics.PushQueued(priority);
        SchedulePump();
    }

    private async ValueTask<PushResult> PushSlowAsync(OutboundItem<TFrame> item, PushPriority priority, bool needPermit, CancellationToken cancellationToken)
    {
        try
        {
            if (needPermit)
            {
                using RateLimitLease lease = await _bucket!.AcquireAsync(1, cancellationToken).ConfigureAwait(false);
                if (!lease.IsAcquired)
                {
                    // Only a disposed (closed) bucket refuses a waiter: the queue limit is unbounded.
                    return Refuse(item);
                }
            }

            await Queue(priority).Writer.WriteAsync(item, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is ChannelClosedException or ObjectDisposedException)
        {
            return Refuse(item);
        }
        catch (OperationCanceledException)
        {
            item.Release();
            throw;
        }

        OnQueued(priority);
        return PushResult.Queued;
    }

    private PushResult Refuse(OutboundItem<TFrame> item)
    {
        item.Release();
        return RefuseUnserialized();
    }

    private static PushResult ReturnFull(OutboundItem<TFrame> item)
    {
        // A typed push's buffer is ours; the caller keeps its message and may try again.
        item.Release();
        return PushResult.QueueFull;
    }

    private PushResult DropFull(OutboundItem<TFrame> item, PushPriority priority, bool warn)
    {
        if (_application.DeadLetters is { } deadLetters)
        {
            if (deadLetters.TryWrite(item.Frame))
            {
                // The frame's buffer now belongs to the dead-letter reader; it is not returned to the pool.
                _application.Metrics.DeadLettered();
                return PushResult.DeadLettered;
            }

            item.Release();
            _application.Metrics.FrameDropped(DropReasons.DeadLetterFull);
            if (_application.DeadLetterLosses.Occurred(out long lost))
            {
                WireframeLog.DeadLetterLost(_application.Logger, lost);
            }

            return PushResult.Dropped;
        }

        item.Release();
        _application.Metrics.FrameDropped(DropReasons.QueueFull);
        if (warn && _fullWarnings.Occurred(out long dropped))
        {
            WireframeLog.PushDropped(_application.Logger, ConnectionId.Value, priority, dropped);
        }

        return PushResult.Dropped;
    }
}
