using System.Collections.Concurrent;
using System.Diagnostics;
using System.IO.Pipelines;
using System.Net.Sockets;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Wireframe.Connections;
using Wireframe.Framing;
using Wireframe.Messages;
using Wireframe.Serialization;

namespace Wireframe.Client;

/// <summary>
/// A connected client: many calls from many tasks multiplexed on one connection, each response
/// matched to its own caller (by correlation id, or in order for protocols without one), server
/// pushes delivered to a bounded subscriber, and every caller told at once when the connection is lost.
/// </summary>
/// <typeparam name="TFrame">The protocol's frame type.</typeparam>
/// <remarks>
/// Callers never wait for the socket: each encodes its request into a shared buffer under a short
/// lock, and one writer loop sends whatever has gathered in one write, so the requests of every
/// caller a read of responses released go out together. One receive loop reads the connection; it
/// completes calls, and it never waits for a push subscriber (a full push buffer drops the oldest push).
/// </remarks>
public sealed partial class WireframeClient<TFrame> : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly Stream _stream;
    private readonly PipeReader _input;
    private readonly PipeWriter _output;
    private readonly Lock _writeLock = new();
    private readonly Lock _tableLock = new();
    private readonly WriterWakeUp _wakeWriter = new();
    private readonly Task _writing;
    private readonly IFrameCodec<TFrame> _codec;
    private readonly IEnvelopeFormat<TFrame> _format;
    private readonly MessageFormatters _formatters;
    private readonly WireframeClientOptions _options;
    private readonly TimeProvider _time;
    private readonly Action<ulong?, uint>? _onUnmatched;
    private readonly Func<TFrame, bool>? _isTerminator;
    private readonly Func<TFrame, Exception?>? _readError;
    private readonly FrameHook<TFrame>[] _beforeSend;
    private readonly FrameHook<TFrame>[] _afterReceive;
    private readonly Action<WireframeClient<TFrame>, Exception>? _onDisconnected;
    private readonly Dictionary<ulong, PendingCall<TFrame>> _calls = [];
    // The FIFO line, guarded by _tableLock like the table: taking the head and losing the connection never race.
    private readonly Queue<PendingCall<TFrame>> _inOrder = new();
    private readonly Channel<TFrame> _pushes;
    private readonly Task _receiving;
    private readonly ITimer? _timeoutTicker;
    private readonly string _endPoint;
    private readonly ILogger _logger;
    private readonly WireframeClientMetrics _metrics;
    private readonly long _callTimeoutTicks;
    // Callers encode into one buffer while the writer sends the other; each is kept between batches,
    // so steady traffic allocates nothing.
    private PooledBufferWriter _filling = new(WriteBufferSize);
    private PooledBufferWriter _sending = new(WriteBufferSize);
    private bool _writerBusy;
    private bool _sendAfterDispatch;
    private int _dispatchThread;
    private bool _closing;
    private int _disposed;
    private readonly TaskCompletionSource _disposal = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TaskCompletionSource? _drained;
    private int _callCount;
    private long _lastCorrelationId;
    private long _lastRequestLength;
    private long _unmatched;
    private long _droppedPushes;
    private Exception? _lost;

    internal WireframeClient(Socket socket, Stream stream, PipeReader input, PipeWriter output, WireframeClientBuilder<TFrame> builder, WireframeClientOptions options, string endPoint)
    {
        _endPoint = endPoint;
        _logger = builder.LoggerFactory.CreateLogger(ClientLog.Category);
        _metrics = new WireframeClientMetrics(builder.MeterFactory);
        _socket = socket;
        _stream = stream;
        _input = input;
        _output = output;
        _beforeSend = [.. builder.BeforeSendHooks];
        _afterReceive = [.. builder.AfterReceiveHooks];
        _onDisconnected = builder.DisconnectedHook;
        _codec = builder.Codec;
        _format = builder.Format;
        _formatters = builder.Formatters;
        _options = options;
        _time = builder.TimeProvider;
        _onUnmatched = builder.UnmatchedResponseHandler;
        _isTerminator = builder.StreamTerminator;
        _readError = builder.ErrorFrameReader;
        _pushes = Channel.CreateBounded<TFrame>(
            new BoundedChannelOptions(options.PushBufferCapacity) { FullMode = BoundedChannelFullMode.DropOldest, SingleWriter = true },
            _ =>
            {
                Interlocked.Increment(ref _droppedPushes);
                _metrics.PushDropped();
            });
        if (options.CallTimeout != Timeout.InfiniteTimeSpan)
        {
            // One ticker per client checks every deadline, instead of a timer per call; a call times
            // out between CallTimeout and CallTimeout + one tick (an eighth of it, 10 ms to 1 s).
            _callTimeoutTicks = (long)(options.CallTimeout.TotalSeconds * _time.TimestampFrequency);
            TimeSpan tick = TimeSpan.FromTicks(Math.Clamp(options.CallTimeout.Ticks / 8, TimeSpan.TicksPerMillisecond * 10, TimeSpan.TicksPerSecond));
            _timeoutTicker = _time.CreateTimer(static state => ((WireframeClient<TFrame>)state!).ExpireCalls(), this, tick, tick);
        }

        _writing = WriteLoopAsync();
        _receiving = Task.Run(ReceiveAsync);
        ClientLog.Connected(_logger, endPoint);
    }

    /// <summary>Gets the frames the server sent on its own (no call waiting for them), in arrival order, each in memory the reader owns.</summary>
    public ChannelReader<TFrame> Pushes => _pushes.Reader;

    /// <summary>Gets how many calls are waiting for their response.</summary>
    public int InFlight
    {
        get
        {
            if (_options.CorrelationMode == CorrelationMode.Correlated)
            {
                return Volatile.Read(ref _callCount);
            }

            lock (_tableLock)
            {
                return _inOrder.Count;
            }
        }
    }

    /// <summary>Gets how many responses matched no call (an unknown or altered correlation id, or an answer to a call that already timed out); none of them reached a caller.</summary>
    public long UnmatchedResponses => Interlocked.Read(ref _unmatched);

    /// <summary>Gets how many pushes were dropped because the subscriber was more than <see cref="WireframeClientOptions.PushBufferCapacity"/> behind.</summary>
    public long DroppedPushes => Interlocked.Read(ref _droppedPushes);

    /// <summary>Gets per-connection state: what <c>OnConnected</c> sets up (a session, a login) and <c>OnDisconnected</c> tears down. Thread-safe.</summary>
    public IDictionary<object, object?> Items { get; } = new ConcurrentDictionary<object, object?>();

    /// <summary>Gets a task that completes when the connection has ended (closed by either side or lost).</summary>
    public Task Completion => _receiving;

    /// <summary>Sends a message without waiting for an answer.</summary>
    /// <typeparam name="TMessage">The message type.</typeparam>
    /// <param name="messageId">The message id.</param>
    /// <param name="message">The message.</param>
    /// <param name="correlationId">A correlation id to carry, if any.</param>
    /// <param name="cancellationToken">Cancels waiting to write.</param>
    /// <returns>A task that completes when the message is in the connection's buffer (a flush is queued for it).</returns>
    public ValueTask SendAsync<TMessage>(uint messageId, TMessage message, ulong? correlationId = null, CancellationToken cancellationToken = default)
    {
        bool wake;
        bool full;
        try
        {
            cancellationToken.ThrowIfCancellationRequested();
            lock (_writeLock)
            {
                ThrowIfClosed();
                Encode(messageId, correlationId, message);
                full = Enqueued(out wake);
            }
        }
        catch (Exception ex)
        {
            // As from an async method: the failure is in the returned task, not thrown by the call.
            return ValueTask.FromException(ex);
        }

        if (wake)
        {
            _wakeWriter.Wake();
        }

        return full ? new ValueTask(WaitForWriterAsync(cancellationToken)) : default;
    }

    /// <summary>Sends a request and waits for its response, read as <typeparamref name="TResponse"/>.</summary>
    /// <typeparam name="TRequest">The request type.</typeparam>
    /// <typeparam name="TResponse">The response type: the frame type itself, or a type a serializer reads.</typeparam>
    /// <param name="messageId">The request's message id.</param>
    /// <param name="request">The request.</param>
    /// <param name="cancellationToken">Cancels the call (the response, if it comes, is then discarded).</param>
    /// <returns>The response. Await it once (or turn it into a task with <c>AsTask()</c>, to keep or combine it): the machinery behind it is reused for later calls.</returns>
    /// <exception cref="TimeoutException">No response within <see cref="WireframeClientOptions.CallTimeout"/>.</exception>
    /// <exception cref="WireframeConnectionLostException">The connection ended first.</exception>
    public ValueTask<TResponse> CallAsync<TRequest, TResponse>(uint messageId, TRequest request, CancellationToken cancellationToken = default) =>
        CallCoreAsync<TRequest, TResponse>(messageId, request, null, cancellationToken);

    /// <summary>Sends a request with a correlation id of the caller's choosing and waits for its response.</summary>
    /// <typeparam name="TRequest">The request type.</typeparam>
    /// <typeparam name="TResponse">The response type.</typeparam>
    /// <param name="messageId">The request's message id.</param>
    /// <param name="request">The request.</param>
    /// <param name="correlationId">The correlation id; it must not be in use by another call in flight.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The response; await it once.</returns>
    public ValueTask<TResponse> CallAsync<TRequest, TResponse>(uint messageId, TRequest request, ulong correlationId, CancellationToken cancellationToken = default) =>
        CallCoreAsync<TRequest, TResponse>(messageId, request, correlationId, cancellationToken);

    /// <summary>Sends a request and waits for the response frame itself (to dispatch on its message id).</summary>
    /// <typeparam name="TRequest">The request type.</typeparam>
    /// <param name="messageId">The request's message id.</param>
    /// <param name="request">The request.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The response frame, in memory the caller owns; await it once.</returns>
    public ValueTask<TFrame> CallAsync<TRequest>(uint messageId, TRequest request, CancellationToken cancellationToken = default) =>
        CallCoreAsync<TRequest, TFrame>(messageId, request, null, cancellationToken);

    /// <summary>Reads a frame's payload as a message (a push, or a frame from <see cref="CallAsync{TRequest}(uint, TRequest, CancellationToken)"/>).</summary>
    /// <typeparam name="TMessage">The message type.</typeparam>
    /// <param name="frame">The frame.</param>
    /// <returns>The message.</returns>
    public TMessage Read<TMessage>(in TFrame frame) => Formatter<TMessage>().Deserialize(_format.GetPayload(frame));

    /// <summary>
    /// Sends a request whose response is a stream, and yields its items as they arrive, until the
    /// protocol's terminator (<see cref="WireframeClientBuilder{TFrame}.UseStreamTerminator"/>). Other
    /// calls go on meanwhile; items wait in an unbounded buffer, so the receive loop never waits for
    /// a slow consumer. A consumer that stops early ends the stream (later items are discarded).
    /// </summary>
    /// <typeparam name="TRequest">The request type.</typeparam>
    /// <typeparam name="TItem">The type of each item: the frame type itself, or a type a serializer reads.</typeparam>
    /// <param name="messageId">The request's message id.</param>
    /// <param name="request">The request.</param>
    /// <param name="cancellationToken">Ends the stream early.</param>
    /// <returns>The items.</returns>
    /// <exception cref="WireframeConnectionLostException">The connection ended before the terminator.</exception>
    public async IAsyncEnumerable<TItem> StreamAsync<TRequest, TItem>(uint messageId, TRequest request, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        Func<TFrame, bool> isTerminator = _isTerminator
            ?? throw new InvalidOperationException("The client does not know how the protocol ends a stream: call UseStreamTerminator on its builder.");
        var stream = new PendingStream<TFrame, TItem>(typeof(TItem) == typeof(TFrame) ? null : Formatter<TItem>(), _codec, _format, isTerminator);
        using Activity? activity = WireframeClientMetrics.Source.StartActivity("wireframe.client.stream", ActivityKind.Client);
        activity?.SetTag("server.address", _endPoint);
        activity?.SetTag("wireframe.message_id", messageId);
        try
        {
            await RegisterAndSendAsync(stream, messageId, request, cancellationToken).ConfigureAwait(false);
            while (await stream.Items.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                while (stream.Items.TryRead(out TItem? item))
                {
                    yield return item;
                }
            }
        }
        finally
        {
            if (!stream.IsDone)
            {
                // Stopped early: what still comes for this stream is discarded.
                if (_options.CorrelationMode == CorrelationMode.Correlated)
                {
                    // FIFO streams keep their place in the line: the frames up to the terminator are theirs.
                    Unregister(stream);
                }

                stream.Fail(new OperationCanceledException("The stream's consumer stopped."));
            }
        }
    }

    /// <summary>
    /// A call with no token and nobody tracing (the common case) has no state machine of its own:
    /// the caller awaits the pooled call object, which goes back to the pool once the caller has read
    /// it. Any other call takes the tracked path. Either way the call records its own end.
    /// </summary>
    private ValueTask<TResponse> CallCoreAsync<TRequest, TResponse>(uint messageId, TRequest request, ulong? explicitId, CancellationToken cancellationToken)
    {
        if (cancellationToken.CanBeCanceled || WireframeClientMetrics.Source.HasListeners())
        {
            return CallTrackedAsync<TRequest, TResponse>(messageId, request, explicitId, cancellationToken);
        }

        TypedPendingCall<TFrame, TResponse> call;
        long started;
        try
        {
            // A response type no serializer knows fails the returned task, as on the tracked path.
            call = StartCall<TResponse>(out started);
        }
        catch (Exception ex)
        {
            return Faulted<TResponse>(ex);
        }

        call.ReleaseOnRead();
        bool full;
        try
        {
            full = Register(call, messageId, request, explicitId, started);
        }
        catch (Exception ex)
        {
            // Records the call's end, unless a lost connection already failed it meanwhile.
            call.Fail(ex);
            return Faulted<TResponse>(ex);
        }

        return full ? WaitForRoomThenOutcomeAsync(call, started) : call.Outcome;
    }

    /// <summary>A call that failed before it was sent, as an async method would report it (an <see cref="OperationCanceledException"/> as cancelled).</summary>
    private static ValueTask<TResponse> Faulted<TResponse>(Exception exception)
    {
        if (exception is OperationCanceledException cancelled)
        {
            var source = new TaskCompletionSource<TResponse>();
            source.TrySetCanceled(cancelled.CancellationToken);
            return new ValueTask<TResponse>(source.Task);
        }

        return ValueTask.FromException<TResponse>(exception);
    }

    /// <summary>The untracked call whose request found the send buffer full: it waits for room, then for its outcome.</summary>
    private async ValueTask<TResponse> WaitForRoomThenOutcomeAsync<TResponse>(TypedPendingCall<TFrame, TResponse> call, long started)
    {
        await WaitForRoomAsync(call, started, CancellationToken.None).ConfigureAwait(false);
        return await call.Outcome.ConfigureAwait(false);
    }

    [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<TResponse> CallTrackedAsync<TRequest, TResponse>(uint messageId, TRequest request, ulong? explicitId, CancellationToken cancellationToken)
    {
        // The response type's serializer is looked up first: a type none knows fails before a span starts.
        TypedPendingCall<TFrame, TResponse> call = StartCall<TResponse>(out long started);
        Activity? activity = WireframeClientMetrics.Source.HasListeners() ? StartCallActivity(messageId) : null;
        try
        {
            try
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (Register(call, messageId, request, explicitId, started))
                {
                    await WaitForRoomAsync(call, started, cancellationToken).ConfigureAwait(false);
                }
            }
            catch (Exception ex)
            {
                // Failed before it was sent: the call records its end through its claim (unless a
                // lost connection claimed it first). Never after Release below: the call may be reused.
                call.Fail(ex);
                throw;
            }

            activity?.SetTag("wireframe.correlation_id", call.CorrelationId);
            CancellationTokenRegistration registration = cancellationToken.CanBeCanceled
                ? cancellationToken.UnsafeRegister(static (state, token) =>
                {
                    var (client, cancelled) = ((WireframeClient<TFrame>, TypedPendingCall<TFrame, TResponse>))state!;
                    client.Cancel(cancelled, token);
                }, (this, call))
                : default;
            try
            {
                return await call.Outcome.ConfigureAwait(false);
            }
            finally
            {
                // Only once no cancellation callback can run does the call go back to the pool.
                registration.Dispose();
                call.Release();
            }
        }
        catch (Exception ex)
        {
            activity?.SetStatus(ActivityStatusCode.Error, ex.Message);
            throw;
        }
        finally
        {
            activity?.Dispose();
        }
    }

    /// <summary>Counts a call in flight and takes a call object for it from the pool; the call records its own end.</summary>
    private TypedPendingCall<TFrame, TResponse> StartCall<TResponse>(out long started)
    {
        IMessageFormatter<TResponse>? formatter = typeof(TResponse) == typeof(TFrame) ? null : Formatter<TResponse>();
        started = _time.GetTimestamp();
        _metrics.CallStarted();
        return TypedPendingCall<TFrame, TResponse>.Rent(formatter, _codec, _format, _options.CompleteCallsInline, _metrics, _time, started);
    }

    private Activity? StartCallActivity(uint messageId)
    {
        Activity? activity = WireframeClientMetrics.Source.StartActivity("wireframe.client.call", ActivityKind.Client);
        activity?.SetTag("server.address", _endPoint);
        activity?.SetTag("wireframe.message_id", messageId);
        return activity;
    }

    /// <summary>Registers a stream and writes its request.</summary>
    private async ValueTask RegisterAndSendAsync<TRequest>(PendingCall<TFrame> call, uint messageId, TRequest request, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (Register(call, messageId, request, null, 0))
        {
            // A stream has no call timeout: only its token ends this wait (and the stream).
            await WaitForWriterAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Registers a call or stream and encodes its request, under the write lock so that FIFO order
    /// is wire order, and wakes the writer if it sleeps.
    /// </summary>
    /// <param name="call">The call or stream.</param>
    /// <param name="messageId">The request's message id.</param>
    /// <param name="request">The request.</param>
    /// <param name="explicitId">The caller's correlation id, if it chose one.</param>
    /// <param name="started">When the call started on the client's clock (its deadline counts from then); unused for streams.</param>
    /// <returns>Whether the caller should wait for the writer first (too much is waiting to be sent).</returns>
    private bool Register<TRequest>(PendingCall<TFrame> call, uint messageId, TRequest request, ulong? explicitId, long started)
    {
        bool correlated = _options.CorrelationMode == CorrelationMode.Correlated;
        bool wake;
        bool full;
        lock (_writeLock)
        {
            ThrowIfClosed();
            call.MessageId = messageId;
            if (_timeoutTicker is not null && !call.IsStream)
            {
                call.Deadline = started + _callTimeoutTicks;
            }

            if (correlated)
            {
                call.CorrelationId = explicitId ?? (ulong)Interlocked.Increment(ref _lastCorrelationId);
                lock (_tableLock)
                {
                    if (!_calls.TryAdd(call.CorrelationId, call))
                    {
                        throw new InvalidOperationException($"Correlation id {call.CorrelationId} is already in use by a call in flight.");
                    }

                    _callCount++;
                }
            }

            try
            {
                Encode(messageId, correlated ? call.CorrelationId : null, request);
            }
            catch
            {
                if (correlated)
                {
                    Unregister(call);
                }

                throw;
            }

            if (!correlated)
            {
                // In FIFO mode the order of this queue is the order on the wire: both happen under the
                // lock, and only a request that was encoded takes a place (no answer comes for the rest).
                lock (_tableLock)
                {
                    _inOrder.Enqueue(call);
                }
            }

            full = Enqueued(out wake);
        }

        if (wake)
        {
            _wakeWriter.Wake();
        }

        if (Volatile.Read(ref _lost) is { } lost)
        {
            // Lost while we registered: the loop that fails calls may have missed this one.
            if (!correlated)
            {
                // Whatever is in the line now came after the loss drained it.
                foreach (PendingCall<TFrame> late in DrainLine())
                {
                    late.FailUnregistered(lost);
                }
            }
            else
            {
                FailIfRegistered(call, lost);
            }
        }

        return full;
    }

    private void Cancel(PendingCall<TFrame> call, CancellationToken token)
    {
        // FIFO calls keep their place in the line (their answer still comes, and is discarded then).
        if (_options.CorrelationMode == CorrelationMode.Fifo)
        {
            call.Fail(new OperationCanceledException(token));
        }
        else
        {
            FailIfRegistered(call, new OperationCanceledException(token));
        }
    }

    /// <summary>Fails a call that is still in the table (nobody else has answered or failed it yet).</summary>
    private void FailIfRegistered(PendingCall<TFrame> call, Exception reason)
    {
        if (Unregister(call))
        {
            call.FailUnregistered(reason);
        }
    }

    /// <summary>Takes a call out of the table if it is still there.</summary>
    /// <returns>Whether it was (the caller then owes <see cref="PendingCall{TFrame}.Unregistered"/>).</returns>
    private bool Unregister(PendingCall<TFrame> call)
    {
        lock (_tableLock)
        {
            if (_calls.TryGetValue(call.CorrelationId, out PendingCall<TFrame>? registered) && ReferenceEquals(registered, call))
            {
                _calls.Remove(call.CorrelationId);
                _callCount--;
                return true;
            }

            return false;
        }
    }

    /// <summary>Fails every call whose deadline has passed (the ticker, on the client's clock).</summary>
    private void ExpireCalls()
    {
        long now = _time.GetTimestamp();
        List<PendingCall<TFrame>>? expired = null;
        lock (_tableLock)
        {
            foreach (KeyValuePair<ulong, PendingCall<TFrame>> entry in _calls)
            {
                if (entry.Value.Deadline != 0 && now >= entry.Value.Deadline)
                {
                    _calls.Remove(entry.Key);
                    _callCount--;
                    (expired ??= []).Add(entry.Value);
                }
            }
        }

        foreach (PendingCall<TFrame> call in expired ?? [])
        {
            ClientLog.CallTimedOut(_logger, call.MessageId, call.CorrelationId, _options.CallTimeout);
            call.FailUnregistered(TimedOut(call));
        }

        List<PendingCall<TFrame>>? late = null;
        lock (_tableLock)
        {
            foreach (PendingCall<TFrame> call in _inOrder)
            {
                // A FIFO call keeps its place (its late answer is discarded when it comes). The hold
                // keeps it from being answered, pooled and reused by another caller before it fails.
                if (call.Deadline != 0 && now >= call.Deadline && !call.IsDone && call.TryHold())
                {
                    (late ??= []).Add(call);
                }
            }
        }

        foreach (PendingCall<TFrame> call in late ?? [])
        {
            call.Fail(TimedOut(call));
            call.ReleaseHold();
        }
    }

    private TimeoutException TimedOut(PendingCall<TFrame> call) =>
        new($"No response to message {call.MessageId} (correlation id {call.CorrelationId}) within {nameof(WireframeClientOptions)}.{nameof(WireframeClientOptions.CallTimeout)} ({_options.CallTimeout}).");

    private IMessageFormatter<T> Formatter<T>() => _formatters.GetCached<T>();
}
