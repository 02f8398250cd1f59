using System.Net;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Wireframe.Serialization;

namespace Wireframe.Client;

/// <summary>
/// Several connections to one server, each multiplexing calls, behind the same call API as one
/// <see cref="WireframeClient{TFrame}"/>: calls go round-robin to a connection below its admission
/// budget (<see cref="WireframeClientPoolOptions.MaxInFlightPerConnection"/>), and wait in line,
/// first come first served, when every connection is full or down. A lost connection is opened again
/// with exponential backoff and jitter (preamble and <c>OnConnected</c> included); an idle one may be
/// closed and reopened on demand. A pool of one connection is a reconnecting client.
/// </summary>
/// <typeparam name="TFrame">The protocol's frame type.</typeparam>
/// <remarks>
/// A call in flight on a connection that is lost fails with <see cref="WireframeConnectionLostException"/>;
/// the pool never sends it again, because only the application knows whether a request is safe to repeat.
/// </remarks>
public sealed class WireframeClientPool<TFrame> : IAsyncDisposable
{
    private readonly object _sync = new();
    private readonly WireframeClientBuilder<TFrame> _builder;
    private readonly EndPoint _endPoint;
    private readonly string _endPointText;
    private readonly WireframeClientPoolOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly WireframeClientMetrics _metrics;
    private readonly MessageFormatters _formatters;
    private readonly PoolSlot<TFrame>[] _slots;
    private readonly LinkedList<TaskCompletionSource<PoolLease<TFrame>>> _waiters = new();
    private readonly Channel<TFrame> _pushes;
    private readonly CancellationTokenSource _disposing = new();
    private readonly ITimer? _idleTicker;
    private readonly TaskCompletionSource _backgroundStopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _cursor;
    private int _background;
    private long _reconnects;
    private long _droppedPushes;
    private volatile bool _disposed;

    private WireframeClientPool(WireframeClientBuilder<TFrame> builder, EndPoint endPoint, WireframeClientPoolOptions options)
    {
        _builder = builder;
        _endPoint = endPoint;
        _endPointText = endPoint.ToString() ?? "?";
        _options = options;
        _time = builder.TimeProvider;
        _logger = builder.LoggerFactory.CreateLogger(ClientLog.Category);
        _metrics = new WireframeClientMetrics(builder.MeterFactory);
        _formatters = builder.Formatters;
        _slots = [.. Enumerable.Range(0, options.Size).Select(index => new PoolSlot<TFrame>(index))];
        _pushes = Channel.CreateBounded<TFrame>(
            new BoundedChannelOptions(builder.Options.PushBufferCapacity) { FullMode = BoundedChannelFullMode.DropOldest },
            _ =>
            {
                Interlocked.Increment(ref _droppedPushes);
                _metrics.PushDropped();
            });
        if (options.IdleTimeout != Timeout.InfiniteTimeSpan)
        {
            // An idle connection closes between IdleTimeout and IdleTimeout + one tick (a quarter of it, at most a minute).
            TimeSpan tick = TimeSpan.FromTicks(Math.Clamp(options.IdleTimeout.Ticks / 4, TimeSpan.TicksPerMillisecond, TimeSpan.TicksPerMinute));
            _idleTicker = _time.CreateTimer(static state => ((WireframeClientPool<TFrame>)state!).CloseIdle(), this, tick, tick);
        }
    }

    /// <summary>Gets the frames the server sent on its own, from every connection, in arrival order (a full buffer drops the oldest).</summary>
    public ChannelReader<TFrame> Pushes => _pushes.Reader;

    /// <summary>Gets how many connections are open and taking calls.</summary>
    public int Connected
    {
        get
        {
            lock (_sync)
            {
                return _slots.Count(slot => slot.State == PoolSlotState.Ready);
            }
        }
    }

    /// <summary>Gets how many calls and streams hold a place on a connection.</summary>
    public int InFlight
    {
        get
        {
            lock (_sync)
            {
                return _slots.Sum(slot => slot.InFlight);
            }
        }
    }

    /// <summary>Gets how many calls wait in line for a connection.</summary>
    public int QueuedCalls
    {
        get
        {
            lock (_sync)
            {
                return _waiters.Count;
            }
        }
    }

    /// <summary>Gets how many times a lost connection was opened again.</summary>
    public long Reconnects => Interlocked.Read(ref _reconnects);

    /// <summary>Gets how many pushes were dropped because the subscriber was too far behind.</summary>
    public long DroppedPushes => Interlocked.Read(ref _droppedPushes);

    /// <summary>Sends a request on one of the connections and waits for its response.</summary>
    /// <typeparam name="TRequest">The request type.</typeparam>
    /// <typeparam name="TResponse">The response type: the frame type itself, or a type a serializer reads.</typeparam>
    /// <param name="messageId">The request's message id.</param>
    /// <param name="request">The request.</param>
    /// <param name="cancellationToken">Cancels waiting for a connection, or the call.</param>
    /// <returns>The response; await it once (or call <c>AsTask()</c> to keep it).</returns>
    /// <exception cref="TimeoutException">No connection was free within <see cref="WireframeClientPoolOptions.AcquireTimeout"/>, or no response came within the call timeout.</exception>
    /// <exception cref="WireframeClientPoolFullException">Too many calls already wait for a connection.</exception>
    /// <exception cref="WireframeConnectionLostException">The call's connection ended before its response.</exception>
    [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<TResponse> CallAsync<TRequest, TResponse>(uint messageId, TRequest request, CancellationToken cancellationToken = default)
    {
        PoolLease<TFrame> lease = await AcquireAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await lease.Client.CallAsync<TRequest, TResponse>(messageId, request, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            Release(lease);
        }
    }

    /// <summary>Sends a request on one of the connections and waits for the response frame itself.</summary>
    /// <typeparam name="TRequest">The request type.</typeparam>
    /// <param name="messageId">The request's message id.</param>
    /// <param name="request">The request.</param>
    /// <param name="cancellationToken">Cancels waiting for a connection, or the call.</param>
    /// <returns>The response frame, in memory the caller owns; await it once.</returns>
    public ValueTask<TFrame> CallAsync<TRequest>(uint messageId, TRequest request, CancellationToken cancellationToken = default) =>
        CallAsync<TRequest, TFrame>(messageId, request, cancellationToken);

    /// <summary>Sends a message on one of the connections without waiting for an answer.</summary>
    /// <typeparam name="TMessage">The message type.</typeparam>
    /// <param name="messageId">The message id.</param>
    /// <param name="message">The message.</param>
    /// <param name="cancellationToken">Cancels waiting for a connection, or to write.</param>
    /// <returns>A task that completes when the message is in a connection's buffer.</returns>
    public async ValueTask SendAsync<TMessage>(uint messageId, TMessage message, CancellationToken cancellationToken = default)
    {
        PoolLease<TFrame> lease = await AcquireAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await lease.Client.SendAsync(messageId, message, correlationId: null, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            Release(lease);
        }
    }

    /// <summary>Sends a request whose response is a stream on one of the connections, and yields its items; the stream holds its place on the connection until it ends.</summary>
    /// <typeparam name="TRequest">The request type.</typeparam>
    /// <typeparam name="TItem">The type of each item.</typeparam>
    /// <param name="messageId">The request's message id.</param>
    /// <param name="request">The request.</param>
    /// <param name="cancellationToken">Cancels waiting for a connection, or ends the stream early.</param>
    /// <returns>The items.</returns>
    public async IAsyncEnumerable<TItem> StreamAsync<TRequest, TItem>(uint messageId, TRequest request, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        PoolLease<TFrame> lease = await AcquireAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await foreach (TItem item in lease.Client.StreamAsync<TRequest, TItem>(messageId, request, cancellationToken).ConfigureAwait(false))
            {
                yield return item;
            }
        }
        finally
        {
            Release(lease);
        }
    }

    /// <summary>Reads a frame's payload as a message (a push, or a response frame).</summary>
    /// <typeparam name="TMessage">The message type.</typeparam>
    /// <param name="frame">The frame.</param>
    /// <returns>The message.</returns>
    public TMessage Read<TMessage>(in TFrame frame) => _formatters.GetCached<TMessage>().Deserialize(_builder.Format.GetPayload(frame));

    /// <summary>Closes every connection and stops reconnecting; calls in flight fail with <see cref="WireframeConnectionLostException"/>, and so do calls waiting in line.</summary>
    /// <returns>A task that completes when every connection is closed.</returns>
    public async ValueTask DisposeAsync()
    {
        List<WireframeClient<TFrame>> open = [];
        lock (_sync)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            foreach (PoolSlot<TFrame> slot in _slots)
            {
                if (slot.Client is { } client)
                {
                    open.Add(client);
                }

                slot.Client = null;
                slot.State = PoolSlotState.Closed;
            }

            FailWaiters(new WireframeConnectionLostException("The client pool was disposed."));
        }

        await _disposing.CancelAsync().ConfigureAwait(false);
        if (_idleTicker is not null)
        {
            await _idleTicker.DisposeAsync().ConfigureAwait(false);
        }

        foreach (WireframeClient<TFrame> client in open)
        {
            await CloseQuietlyAsync(client).ConfigureAwait(false);
        }

        // Connects, reconnects and closes still under way end now (cancelled, or closing what they opened).
        if (Volatile.Read(ref _background) > 0)
        {
            await _backgroundStopped.Task.ConfigureAwait(false);
        }

        _pushes.Writer.TryComplete();
    }

    /// <summary>Gets the slots, for tests that check the state of each.</summary>
    internal IReadOnlyList<PoolSlot<TFrame>> Slots => _slots;

    /// <summary>Opens every connection of a new pool; fails (and closes what opened) if any of them cannot connect.</summary>
    internal static async ValueTask<WireframeClientPool<TFrame>> ConnectAsync(WireframeClientBuilder<TFrame> builder, EndPoint endPoint, WireframeClientPoolOptions options, CancellationToken cancellationToken)
    {
        var pool = new WireframeClientPool<TFrame>(builder, endPoint, options);
        try
        {
            await Task.WhenAll(pool._slots.Select(async slot =>
            {
                WireframeClient<TFrame> client = await builder.ConnectAsync(endPoint, cancellationToken).ConfigureAwait(false);
                await pool.InstallOrCloseAsync(slot, client).ConfigureAwait(false);
            })).ConfigureAwait(false);
        }
        catch
        {
            await pool.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return pool;
    }

    /// <summary>Takes a place on a connection: at once when one is ready below its budget and nobody waits, otherwise in line.</summary>
    private async ValueTask<PoolLease<TFrame>> AcquireAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        LinkedListNode<TaskCompletionSource<PoolLease<TFrame>>> waiter;
        PoolSlot<TFrame>? reopen = null;
        lock (_sync)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_waiters.Count == 0 && TryAdmit() is { } lease)
            {
                return lease;
            }

            if (_slots.All(slot => slot.State == PoolSlotState.Closed))
            {
                throw NoConnectionLeft();
            }

            reopen = Array.Find(_slots, slot => slot.State == PoolSlotState.Idle);
            if (reopen is not null)
            {
                // Even a call the full line refuses opens an idle connection for the calls after it.
                reopen.State = PoolSlotState.Opening;
            }

            if (_waiters.Count >= _options.MaxQueuedCalls)
            {
                if (reopen is not null)
                {
                    RunInBackground(ReopenAsync(reopen));
                }

                throw new WireframeClientPoolFullException(
                    $"{_waiters.Count} calls already wait for a connection to {_endPointText} ({nameof(WireframeClientPoolOptions)}.{nameof(WireframeClientPoolOptions.MaxQueuedCalls)}).");
            }

            waiter = _waiters.AddLast(new TaskCompletionSource<PoolLease<TFrame>>(TaskCreationOptions.RunContinuationsAsynchronously));
            _metrics.QueuedCallsChanged(1);
        }

        if (reopen is not null)
        {
            RunInBackground(ReopenAsync(reopen));
        }

        try
        {
            return await waiter.Value.Task.WaitAsync(_options.AcquireTimeout, _time, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is TimeoutException or OperationCanceledException)
        {
            PoolLease<TFrame>? granted = null;
            lock (_sync)
            {
                if (waiter.List is not null)
                {
                    _waiters.Remove(waiter);
                    _metrics.QueuedCallsChanged(-1);
                }
                else if (waiter.Value.Task.IsCompletedSuccessfully)
                {
                    // Given a place just as the wait ended: give it back to the next in line.
                    granted = waiter.Value.Task.Result;
                }
            }

            if (granted is { } lease)
            {
                Release(lease);
            }

            if (ex is TimeoutException)
            {
                throw new TimeoutException(
                    $"No connection to {_endPointText} was free within {nameof(WireframeClientPoolOptions)}.{nameof(WireframeClientPoolOptions.AcquireTimeout)} ({_options.AcquireTimeout}).");
            }

            throw;
        }
    }

    /// <summary>The next ready connection below its budget, round-robin from the last one used. Under the lock.</summary>
    private PoolLease<TFrame>? TryAdmit()
    {
        for (int i = 0; i < _slots.Length; i++)
        {
            PoolSlot<TFrame> slot = _slots[(_cursor + i) % _slots.Length];
            if (slot.State == PoolSlotState.Ready && slot.InFlight < _options.MaxInFlightPerConnection)
            {
                _cursor = slot.Index + 1;
                slot.InFlight++;
                return new PoolLease<TFrame>(slot, slot.Client!);
            }
        }

        return null;
    }

    /// <summary>Gives a place back; a place on a connection that has since been replaced no longer counts against the new one.</summary>
    private void Release(PoolLease<TFrame> lease)
    {
        lock (_sync)
        {
            PoolSlot<TFrame> slot = lease.Slot;
            if (slot.Client != lease.Client)
            {
                return;
            }

            slot.InFlight--;
            slot.LastUsed = _time.GetTimestamp();
            GrantWaiters(slot);
        }
    }

    /// <summary>Gives the slot's free places to the oldest waiters. Under the lock.</summary>
    private void GrantWaiters(PoolSlot<TFrame> slot)
    {
        while (_waiters.First is { } first && slot.State == PoolSlotState.Ready && slot.InFlight < _options.MaxInFlightPerConnection)
        {
            _waiters.RemoveFirst();
            _metrics.QueuedCallsChanged(-1);
            slot.InFlight++;
            first.Value.SetResult(new PoolLease<TFrame>(slot, slot.Client!));
        }
    }

    /// <summary>Fails every waiter. Under the lock.</summary>
    private void FailWaiters(Exception reason)
    {
        while (_waiters.First is { } first)
        {
            _waiters.RemoveFirst();
            _metrics.QueuedCallsChanged(-1);
            first.Value.SetException(reason);
        }
    }

    /// <summary>Puts a connected client in its slot and starts watching it; closes it instead when the pool was disposed meanwhile.</summary>
    /// <param name="slot">The slot.</param>
    /// <param name="client">The connected client.</param>
    /// <param name="reconnectAttempts">For a reconnect, the attempts it took: counted and logged before the connection takes calls, so nobody sees it open and not yet counted.</param>
    private async ValueTask<bool> InstallOrCloseAsync(PoolSlot<TFrame> slot, WireframeClient<TFrame> client, int reconnectAttempts = 0)
    {
        bool installed;
        lock (_sync)
        {
            installed = !_disposed;
            if (installed)
            {
                if (reconnectAttempts > 0)
                {
                    Interlocked.Increment(ref _reconnects);
                    ClientLog.Reconnected(_logger, slot.Index, _endPointText, reconnectAttempts);
                }

                slot.Client = client;
                slot.State = PoolSlotState.Ready;
                slot.InFlight = 0;
                slot.LastUsed = slot.ConnectedAt = _time.GetTimestamp();
                GrantWaiters(slot);
            }
        }

        if (!installed)
        {
            await CloseQuietlyAsync(client).ConfigureAwait(false);
            return false;
        }

        _metrics.PoolConnectionChanged(1);
        _ = ForwardPushesAsync(client);
        RunInBackground(WatchAsync(slot, client));
        return true;
    }

    /// <summary>
    /// Waits for a connection to end, closes it, and then (unless the pool closed it on purpose)
    /// reconnects its slot, or, without reconnecting, serves the calls in line from an idle slot or
    /// fails them when nothing is left to serve them.
    /// </summary>
    private async Task WatchAsync(PoolSlot<TFrame> slot, WireframeClient<TFrame> client)
    {
        try
        {
            await client.Completion.ConfigureAwait(false);
        }
        catch (Exception)
        {
            // However it ended, it ended.
        }

        _metrics.PoolConnectionChanged(-1);
        PoolSlot<TFrame>? reopen = null;
        lock (_sync)
        {
            if (slot.Client != client)
            {
                // Closed by the pool (idle, or disposed), which also disposes it.
                return;
            }

            slot.Client = null;
            if (_time.GetElapsedTime(slot.ConnectedAt) >= _options.ReconnectMaxDelay)
            {
                // It stayed up: the backoff starts over. A connection dropped sooner keeps its count,
                // so a server that accepts and drops at once is retried ever more slowly.
                slot.Failures = 0;
            }

            if (_options.Reconnect)
            {
                slot.State = PoolSlotState.Reconnecting;
            }
            else
            {
                slot.State = PoolSlotState.Closed;
                reopen = ServeOrFailLine();
            }
        }

        await CloseQuietlyAsync(client).ConfigureAwait(false);
        if (reopen is not null)
        {
            await ReopenAsync(reopen).ConfigureAwait(false);
        }
        else if (_options.Reconnect)
        {
            await ReconnectAsync(slot).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Without reconnecting, when calls wait in line and no connection is open or opening: an idle slot
    /// to open for them, or, with none left, the line failed. Under the lock.
    /// </summary>
    private PoolSlot<TFrame>? ServeOrFailLine()
    {
        if (_waiters.Count == 0 || _slots.Any(s => s.State is PoolSlotState.Ready or PoolSlotState.Opening))
        {
            return null;
        }

        if (Array.Find(_slots, s => s.State == PoolSlotState.Idle) is { } idle)
        {
            idle.State = PoolSlotState.Opening;
            return idle;
        }

        FailWaiters(NoConnectionLeft());
        return null;
    }

    private WireframeConnectionLostException NoConnectionLeft() =>
        new($"No connection of the pool to {_endPointText} is open and reconnecting is off ({nameof(WireframeClientPoolOptions)}.{nameof(WireframeClientPoolOptions.Reconnect)}).");

    /// <summary>Opens an idle slot again for a call that needs it; if that fails, the slot goes the way of a lost connection.</summary>
    private async Task ReopenAsync(PoolSlot<TFrame> slot)
    {
        try
        {
            WireframeClient<TFrame> client = await _builder.ConnectAsync(_endPoint, _disposing.Token).ConfigureAwait(false);
            _metrics.ReconnectAttempted(succeeded: true);
            await InstallOrCloseAsync(slot, client).ConfigureAwait(false);
            return;
        }
        catch (OperationCanceledException) when (_disposing.IsCancellationRequested)
        {
            return;
        }
        catch (Exception ex)
        {
            ClientLog.ReconnectFailed(_logger, 1, slot.Index, _endPointText, ex.Message);
            _metrics.ReconnectAttempted(succeeded: false);
        }

        lock (_sync)
        {
            if (_disposed)
            {
                return;
            }

            slot.State = _options.Reconnect ? PoolSlotState.Reconnecting : PoolSlotState.Idle;
            if (!_options.Reconnect && !_slots.Any(s => s.State is PoolSlotState.Ready or PoolSlotState.Opening))
            {
                // Without reconnecting and with no other connection to serve them, the calls in line
                // are told now rather than at their timeout (this slot is not tried again for them).
                FailWaiters(NoConnectionLeft());
            }
        }

        if (_options.Reconnect)
        {
            slot.Failures = 1;
            await ReconnectAsync(slot).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Reconnects a slot: waits out a backoff delay, connects (preamble and setup hook included), and
    /// again with a longer delay on failure, until it succeeds or the pool is disposed. The attempt
    /// count carries over from connections that did not stay up (see <see cref="WatchAsync"/>).
    /// </summary>
    private async Task ReconnectAsync(PoolSlot<TFrame> slot)
    {
        while (true)
        {
            int attempt = slot.Failures++;
            TimeSpan delay = BackoffDelay(attempt);
            ClientLog.Reconnecting(_logger, slot.Index, _endPointText, attempt + 1, delay);
            try
            {
                await Task.Delay(delay, _time, _disposing.Token).ConfigureAwait(false);
                WireframeClient<TFrame> client = await _builder.ConnectAsync(_endPoint, _disposing.Token).ConfigureAwait(false);
                _metrics.ReconnectAttempted(succeeded: true);
                await InstallOrCloseAsync(slot, client, reconnectAttempts: attempt + 1).ConfigureAwait(false);
                return;
            }
            catch (OperationCanceledException) when (_disposing.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                _metrics.ReconnectAttempted(succeeded: false);
                ClientLog.ReconnectFailed(_logger, attempt + 1, slot.Index, _endPointText, ex.Message);
            }
        }
    }

    /// <summary>The initial delay doubled per attempt up to the maximum, then drawn between half and all of it.</summary>
    private TimeSpan BackoffDelay(int attempt)
    {
        double ceiling = Math.Min(
            _options.ReconnectMaxDelay.Ticks,
            _options.ReconnectInitialDelay.Ticks * Math.Pow(2, Math.Min(attempt, 62)));
        return TimeSpan.FromTicks((long)(ceiling * (0.5 + (Random.Shared.NextDouble() * 0.5))));
    }

    /// <summary>Closes connections that carried no call for the idle timeout (the ticker, on the builder's clock).</summary>
    private void CloseIdle()
    {
        List<WireframeClient<TFrame>> idle = [];
        lock (_sync)
        {
            long now = _time.GetTimestamp();
            foreach (PoolSlot<TFrame> slot in _slots)
            {
                if (slot.State == PoolSlotState.Ready && slot.InFlight == 0 && _time.GetElapsedTime(slot.LastUsed, now) >= _options.IdleTimeout)
                {
                    idle.Add(slot.Client!);
                    slot.Client = null;
                    slot.State = PoolSlotState.Idle;
                    ClientLog.IdleClosed(_logger, slot.Index, _endPointText, _options.IdleTimeout);
                }
            }
        }

        foreach (WireframeClient<TFrame> client in idle)
        {
            RunInBackground(CloseQuietlyAsync(client));
        }
    }

    /// <summary>Closes a connection whose end nobody waits for; a connection that already failed may fail again closing.</summary>
    private static async Task CloseQuietlyAsync(WireframeClient<TFrame> client)
    {
        try
        {
            await client.DisposeAsync().ConfigureAwait(false);
        }
        catch (Exception)
        {
            // It is gone either way.
        }
    }

    /// <summary>Keeps count of work that outlives the call that started it, so that disposing the pool can wait for it.</summary>
    private void RunInBackground(Task work)
    {
        Interlocked.Increment(ref _background);
        work.ContinueWith(
            static (_, state) =>
            {
                var pool = (WireframeClientPool<TFrame>)state!;
                if (Interlocked.Decrement(ref pool._background) == 0 && pool._disposed)
                {
                    pool._backgroundStopped.TrySetResult();
                }
            },
            this,
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
    }

    private async Task ForwardPushesAsync(WireframeClient<TFrame> client)
    {
        // The connection's own buffer drops its oldest push when full; so does the pool's.
        await foreach (TFrame push in client.Pushes.ReadAllAsync().ConfigureAwait(false))
        {
            _pushes.Writer.TryWrite(push);
        }
    }
}
