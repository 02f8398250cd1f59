using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
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
/// Writes are serialized by one gate and batched: a caller that finds others waiting leaves the
/// flush to the last of them. One receive loop reads the connection; it completes calls, and it
/// never waits for a push subscriber (a full push buffer drops the oldest push).
/// </remarks>
public sealed class WireframeClient<TFrame> : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly Stream _stream;
    private readonly PipeReader _input;
    private readonly PipeWriter _output;
    private readonly WriterGate _gate = new();
    private readonly IFrameCodec<TFrame> _codec;
    private readonly IEnvelopeFormat<TFrame> _format;
    private readonly MessageFormatters _formatters;
    private readonly ConcurrentDictionary<Type, object> _formatterCache = new();
    private readonly WireframeClientOptions _options;
    private readonly TimeProvider _time;
    private readonly Action<ulong?, uint>? _onUnmatched;
    private readonly Func<TFrame, bool>? _isTerminator;
    private readonly Func<TFrame, Exception?>? _readError;
    private readonly FrameHook<TFrame>[] _beforeSend;
    private readonly FrameHook<TFrame>[] _afterReceive;
    private readonly Action<Exception>? _onDisconnected;
    private readonly ConcurrentDictionary<ulong, PendingCall<TFrame>> _calls = new();
    private readonly ConcurrentQueue<PendingCall<TFrame>> _inOrder = new();
    private readonly Channel<TFrame> _pushes;
    private readonly Task _receiving;
    private readonly ITimer? _timeoutTicker;
    private readonly string _endPoint;
    private readonly ILogger _logger;
    private readonly WireframeClientMetrics _metrics;
    private readonly long _callTimeoutTicks;
    private long _lastCorrelationId;
    private long _lastRequestLength;
    private int _flushScheduled;
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
        _formatters = new MessageFormatters(builder.Serializers);
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

        _receiving = Task.Run(ReceiveAsync);
        ClientLog.Connected(_logger, endPoint);
    }

    /// <summary>Gets the frames the server sent on its own (no call waiting for them), in arrival order, each in memory the reader owns.</summary>
    public ChannelReader<TFrame> Pushes => _pushes.Reader;

    /// <summary>Gets how many calls are waiting for their response.</summary>
    public int InFlight => _options.CorrelationMode == CorrelationMode.Correlated ? _calls.Count : _inOrder.Count;

    /// <summary>Gets how many responses matched no call (an unknown or altered correlation id, or an answer to a call that already timed out); none of them reached a caller.</summary>
    public long UnmatchedResponses => Interlocked.Read(ref _unmatched);

    /// <summary>Gets how many pushes were dropped because the subscriber was more than <see cref="WireframeClientOptions.PushBufferCapacity"/> behind.</summary>
    public long DroppedPushes => Interlocked.Read(ref _droppedPushes);

    /// <summary>Gets a task that completes when the connection has ended (closed by either side or lost).</summary>
    public Task Completion => _receiving;

    /// <summary>Sends a message without waiting for an answer.</summary>
    /// <typeparam name="TMessage">The message type.</typeparam>
    /// <param name="messageId">The message id.</param>
    /// <param name="message">The message.</param>
    /// <param name="correlationId">A correlation id to carry, if any.</param>
    /// <param name="cancellationToken">Cancels waiting to write.</param>
    /// <returns>A task that completes when the message is in the connection's buffer (a flush is queued for it).</returns>
    public async ValueTask SendAsync<TMessage>(uint messageId, TMessage message, ulong? correlationId = null, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        await _gate.EnterAsync().ConfigureAwait(false);
        try
        {
            ThrowIfLost();
            Encode(messageId, correlationId, message);
        }
        catch
        {
            _gate.Exit();
            throw;
        }

        await FlushAndExitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Sends a request and waits for its response, read as <typeparamref name="TResponse"/>.</summary>
    /// <typeparam name="TRequest">The request type.</typeparam>
    /// <typeparam name="TResponse">The response type: the frame type itself, or a type a serializer reads.</typeparam>
    /// <param name="messageId">The request's message id.</param>
    /// <param name="request">The request.</param>
    /// <param name="cancellationToken">Cancels the call (the response, if it comes, is then discarded).</param>
    /// <returns>The response.</returns>
    /// <exception cref="TimeoutException">No response within <see cref="WireframeClientOptions.CallTimeout"/>.</exception>
    /// <exception cref="WireframeConnectionLostException">The connection ended first.</exception>
    public Task<TResponse> CallAsync<TRequest, TResponse>(uint messageId, TRequest request, CancellationToken cancellationToken = default) =>
        CallCoreAsync<TRequest, TResponse>(messageId, request, null, cancellationToken);

    /// <summary>Sends a request with a correlation id of the caller's choosing and waits for its response.</summary>
    /// <typeparam name="TRequest">The request type.</typeparam>
    /// <typeparam name="TResponse">The response type.</typeparam>
    /// <param name="messageId">The request's message id.</param>
    /// <param name="request">The request.</param>
    /// <param name="correlationId">The correlation id; it must not be in use by another call in flight.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The response.</returns>
    public Task<TResponse> CallAsync<TRequest, TResponse>(uint messageId, TRequest request, ulong correlationId, CancellationToken cancellationToken = default) =>
        CallCoreAsync<TRequest, TResponse>(messageId, request, correlationId, cancellationToken);

    /// <summary>Sends a request and waits for the response frame itself (to dispatch on its message id).</summary>
    /// <typeparam name="TRequest">The request type.</typeparam>
    /// <param name="messageId">The request's message id.</param>
    /// <param name="request">The request.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The response frame, in memory the caller owns.</returns>
    public Task<TFrame> CallAsync<TRequest>(uint messageId, TRequest request, CancellationToken cancellationToken = default) =>
        CallCoreAsync<TRequest, TFrame>(messageId, request, null, cancellationToken);

    /// <summary>Reads a frame's payload as a message (a push, or a frame from <see cref="CallAsync{TRequest}(uint, TRequest, CancellationToken)"/>).</summary>
    /// <typeparam name="TMessage">The message type.</typeparam>
    /// <param name="frame">The frame.</param>
    /// <returns>The message.</returns>
    public TMessage Read<TMessage>(in TFrame frame) => Formatter<TMessage>().Deserialize(_format.GetPayload(frame));

    /// <summary>Closes the connection; calls still waiting fail with <see cref="WireframeConnectionLostException"/>.</summary>
    /// <returns>A task that completes when the connection is closed.</returns>
    public async ValueTask DisposeAsync()
    {
        Lose(new WireframeConnectionLostException("The client was disposed."));
        await _gate.EnterAsync().ConfigureAwait(false);
        try
        {
            await _output.CompleteAsync().ConfigureAwait(false);
        }
        finally
        {
            _gate.Exit();
        }

        try
        {
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (SocketException)
        {
            // Already gone.
        }

        _socket.Dispose();
        await _receiving.ConfigureAwait(false);
        await _stream.DisposeAsync().ConfigureAwait(false);
    }

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
        await RegisterAndSendAsync(stream, messageId, request, null, cancellationToken).ConfigureAwait(false);
        try
        {
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
                Abandon(stream);
                stream.Fail(new OperationCanceledException("The stream's consumer stopped."));
            }
        }
    }

    private async Task<TResponse> CallCoreAsync<TRequest, TResponse>(uint messageId, TRequest request, ulong? explicitId, CancellationToken cancellationToken)
    {
        var call = new TypedPendingCall<TFrame, TResponse>(typeof(TResponse) == typeof(TFrame) ? null : Formatter<TResponse>(), _codec, _format);
        using Activity? activity = WireframeClientMetrics.Source.StartActivity("wireframe.client.call", ActivityKind.Client);
        activity?.SetTag("server.address", _endPoint);
        activity?.SetTag("wireframe.message_id", messageId);
        long started = _time.GetTimestamp();
        _metrics.CallStarted();
        Exception? error = null;
        try
        {
            await RegisterAndSendAsync(call, messageId, request, explicitId, cancellationToken).ConfigureAwait(false);
            activity?.SetTag("wireframe.correlation_id", call.CorrelationId);
            return await AwaitResponseAsync(call, this, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            error = ex;
            activity?.SetStatus(ActivityStatusCode.Error, ex.Message);
            throw;
        }
        finally
        {
            _metrics.CallEnded(WireframeClientMetrics.OutcomeOf(error), _time.GetElapsedTime(started));
        }
    }

    /// <summary>Registers a call or stream and writes its request, under the gate so FIFO order is wire order.</summary>
    private async ValueTask RegisterAndSendAsync<TRequest>(PendingCall<TFrame> call, uint messageId, TRequest request, ulong? explicitId, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        bool correlated = _options.CorrelationMode == CorrelationMode.Correlated;
        await _gate.EnterAsync().ConfigureAwait(false);
        try
        {
            ThrowIfLost();
            call.MessageId = messageId;
            if (_timeoutTicker is not null && !call.IsStream)
            {
                call.Deadline = _time.GetTimestamp() + _callTimeoutTicks;
            }

            if (correlated)
            {
                call.CorrelationId = explicitId ?? (ulong)Interlocked.Increment(ref _lastCorrelationId);
                if (!_calls.TryAdd(call.CorrelationId, call))
                {
                    throw new InvalidOperationException($"Correlation id {call.CorrelationId} is already in use by a call in flight.");
                }
            }

            Encode(messageId, correlated ? call.CorrelationId : null, request);
            if (!correlated)
            {
                // In FIFO mode the order of this queue is the order on the wire: both happen under the
                // gate, and only a request that was encoded takes a place (no answer comes for the rest).
                _inOrder.Enqueue(call);
            }

            if (Volatile.Read(ref _lost) is { } lost)
            {
                // Lost while we registered: the loop that fails calls may have missed this one.
                call.Fail(lost);
            }
        }
        catch
        {
            _calls.TryRemove(call.CorrelationId, out _);
            _gate.Exit();
            throw;
        }

        await FlushAndExitAsync(CancellationToken.None).ConfigureAwait(false);
    }

    private static async Task<TResponse> AwaitResponseAsync<TResponse>(TypedPendingCall<TFrame, TResponse> call, WireframeClient<TFrame> client, CancellationToken cancellationToken)
    {
        if (!cancellationToken.CanBeCanceled)
        {
            return await call.Task.ConfigureAwait(false);
        }

        using CancellationTokenRegistration registration = cancellationToken.Register(() =>
        {
            client.Abandon(call);
            call.Fail(new OperationCanceledException(cancellationToken));
        });
        return await call.Task.ConfigureAwait(false);
    }

    /// <summary>Fails every call whose deadline has passed (the ticker, on the client's clock).</summary>
    private void ExpireCalls()
    {
        long now = _time.GetTimestamp();
        foreach (KeyValuePair<ulong, PendingCall<TFrame>> entry in _calls)
        {
            if (entry.Value.Deadline != 0 && now >= entry.Value.Deadline && _calls.TryRemove(entry))
            {
                ClientLog.CallTimedOut(_logger, entry.Value.MessageId, entry.Value.CorrelationId, _options.CallTimeout);
                entry.Value.Fail(TimedOut(entry.Value));
            }
        }

        foreach (PendingCall<TFrame> call in _inOrder)
        {
            // A FIFO call keeps its place; its late answer is discarded when it comes.
            if (call.Deadline != 0 && now >= call.Deadline && !call.IsDone)
            {
                call.Fail(TimedOut(call));
            }
        }
    }

    private TimeoutException TimedOut(PendingCall<TFrame> call) =>
        new($"No response to message {call.MessageId} (correlation id {call.CorrelationId}) within {nameof(WireframeClientOptions)}.{nameof(WireframeClientOptions.CallTimeout)} ({_options.CallTimeout}).");

    private void Abandon(PendingCall<TFrame> call)
    {
        // FIFO calls keep their place in the queue (their answer still comes, and is discarded then).
        if (_options.CorrelationMode == CorrelationMode.Correlated)
        {
            _calls.TryRemove(new KeyValuePair<ulong, PendingCall<TFrame>>(call.CorrelationId, call));
        }
    }

    private void Encode<TMessage>(uint messageId, ulong? correlationId, TMessage message)
    {
        if (message is TFrame asFrame)
        {
            EncodeFrame(asFrame);
            return;
        }

        IMessageFormatter<TMessage> formatter = Formatter<TMessage>();
        PooledBufferWriter scratch = PooledBufferWriter.RentScratch();
        try
        {
            formatter.Serialize(message, scratch);
            EncodeFrame(_format.CreateFrame(messageId, correlationId, new ReadOnlySequence<byte>(scratch.WrittenMemory)));
        }
        finally
        {
            PooledBufferWriter.ReturnScratch(scratch);
        }
    }

    private void EncodeFrame(TFrame frame)
    {
        foreach (FrameHook<TFrame> hook in _beforeSend)
        {
            hook(ref frame);
        }

        long before = _output.CanGetUnflushedBytes ? _output.UnflushedBytes : 0;
        _codec.Encode(frame, _output);
        if (_output.CanGetUnflushedBytes)
        {
            Volatile.Write(ref _lastRequestLength, _output.UnflushedBytes - before);
        }
    }

    /// <summary>
    /// Leaves the gate and makes sure what was written gets flushed: one flush, queued once, carries
    /// every request written before it runs, so a burst of calls from many tasks costs one write to
    /// the socket. A writer that finds more than <see cref="MaxUnflushedBytes"/> waiting flushes
    /// itself first, which is the backpressure a slow server puts on callers.
    /// </summary>
    private async ValueTask FlushAndExitAsync(CancellationToken cancellationToken)
    {
        try
        {
            if (_output.CanGetUnflushedBytes && _output.UnflushedBytes >= MaxUnflushedBytes)
            {
                await FlushHeldAsync(cancellationToken).ConfigureAwait(false);
                return;
            }
        }
        finally
        {
            _gate.Exit();
        }

        if (Interlocked.CompareExchange(ref _flushScheduled, 1, 0) == 0)
        {
            ThreadPool.UnsafeQueueUserWorkItem(static client => _ = client.FlushScheduledAsync(), this, preferLocal: false);
        }
    }

    private const int MaxUnflushedBytes = 64 * 1024;

    private async Task FlushScheduledAsync()
    {
        await _gate.EnterAsync().ConfigureAwait(false);
        try
        {
            // From here on, a new write schedules a new flush.
            Volatile.Write(ref _flushScheduled, 0);
            await FlushHeldAsync(CancellationToken.None).ConfigureAwait(false);
        }
        catch (WireframeConnectionLostException)
        {
            // Every caller has been told.
        }
        finally
        {
            _gate.Exit();
        }
    }

    private async ValueTask FlushHeldAsync(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _lost) is not null)
        {
            return;
        }

        try
        {
            FlushResult result = await _output.FlushAsync(cancellationToken).ConfigureAwait(false);
            if (result.IsCompleted)
            {
                Lose(new WireframeConnectionLostException("The server stopped reading."));
            }
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException or InvalidOperationException)
        {
            Lose(new WireframeConnectionLostException($"Writing to the server failed: {ex.Message}", ex));
            throw Volatile.Read(ref _lost)!;
        }
    }

    private async Task ReceiveAsync()
    {
        Exception? failure = null;
        try
        {
            while (true)
            {
                ReadResult result = await _input.ReadAsync().ConfigureAwait(false);
                ReadOnlySequence<byte> buffer = result.Buffer;
                try
                {
                    while (true)
                    {
                        SequencePosition start = buffer.Start;
                        DecodeResult decoded = _codec.TryDecode(ref buffer, out TFrame frame);
                        if (decoded.Status == DecodeStatus.Frame)
                        {
                            Dispatch(frame, result.Buffer.Slice(start, buffer.Start));
                            continue;
                        }

                        if (decoded.Status == DecodeStatus.Error)
                        {
                            throw new InvalidDataException($"The server sent a frame the client cannot decode: {decoded.Message}");
                        }

                        break;
                    }
                }
                finally
                {
                    _input.AdvanceTo(buffer.Start, buffer.End);
                }

                if (result.IsCompleted)
                {
                    failure = new WireframeConnectionLostException(WithInFlightHint(buffer.IsEmpty
                        ? "The server closed the connection."
                        : $"The server closed the connection in the middle of a frame ({buffer.Length} bytes)."));
                    break;
                }
            }
        }
        catch (Exception ex)
        {
            failure = ex is WireframeConnectionLostException ? ex : new WireframeConnectionLostException(
                ex is IOException or SocketException ? WithInFlightHint($"The connection failed: {ex.Message}") : $"The connection failed: {ex.Message}", ex);
        }
        finally
        {
            Lose(failure ?? new WireframeConnectionLostException("The connection closed."));
            await _input.CompleteAsync().ConfigureAwait(false);
        }
    }

    private void Dispatch(TFrame frame, ReadOnlySequence<byte> raw)
    {
        foreach (FrameHook<TFrame> hook in _afterReceive)
        {
            hook(ref frame);
        }

        if (_options.CorrelationMode == CorrelationMode.Fifo)
        {
            if (_inOrder.TryPeek(out PendingCall<TFrame>? next))
            {
                if (next.IsDone)
                {
                    // An abandoned stream keeps its place until its terminator: the frames up to it are its own.
                    if (!next.IsStream || _isTerminator!(frame) || _readError?.Invoke(frame) is not null)
                    {
                        _inOrder.TryDequeue(out _);
                    }

                    Unmatched(frame);
                    return;
                }

                if (Deliver(next, frame, raw))
                {
                    _inOrder.TryDequeue(out _);
                }

                return;
            }

            Push(frame, raw);
            return;
        }

        if (_format.GetCorrelationId(frame) is not ulong correlationId)
        {
            Push(frame, raw);
            return;
        }

        if (_calls.TryGetValue(correlationId, out PendingCall<TFrame>? call))
        {
            if (Deliver(call, frame, raw))
            {
                _calls.TryRemove(new KeyValuePair<ulong, PendingCall<TFrame>>(correlationId, call));
            }

            return;
        }

        Unmatched(frame);
    }

    /// <summary>
    /// Adds what the caller needs to tell why a server dropped the connection under its calls: the
    /// most common cause is a request above the server's maximum frame length, which a server refuses
    /// by closing the connection, so the size of the last request is named next to that cause.
    /// </summary>
    private string WithInFlightHint(string reason)
    {
        int inFlight = InFlight;
        long lastRequest = Volatile.Read(ref _lastRequestLength);
        return inFlight == 0 || lastRequest == 0
            ? reason
            : string.Create(CultureInfo.InvariantCulture, $"{reason} {inFlight} call(s) were waiting; the last request sent was {lastRequest:N0} bytes. A server closes the connection when a frame is above its maximum frame length: if that is the cause, give the client's codec the server's limit (LengthDelimitedOptions.MaxFrameLength), so that such a request fails before it is sent and the connection stays up.");
    }

    /// <summary>Gives a frame to its call or stream: an error frame fails it, anything else is its response or next item.</summary>
    /// <returns>Whether the call or stream is over.</returns>
    private bool Deliver(PendingCall<TFrame> call, in TFrame frame, ReadOnlySequence<byte> raw)
    {
        if (_readError is not null && _readError(frame) is { } error)
        {
            call.Fail(error);
            return true;
        }

        return call.Receive(frame, raw);
    }

    private void Unmatched(in TFrame frame)
    {
        Interlocked.Increment(ref _unmatched);
        _metrics.Unmatched();
        ClientLog.UnmatchedResponse(_logger, _format.GetCorrelationId(frame), _format.GetMessageId(frame));
        _onUnmatched?.Invoke(_format.GetCorrelationId(frame), _format.GetMessageId(frame));
    }

    private void Push(in TFrame frame, ReadOnlySequence<byte> raw) =>
        _pushes.Writer.TryWrite(ClientFrames.Read<TFrame, TFrame>(frame, raw, null, _codec, _format));

    /// <summary>Marks the connection lost (the first reason wins) and fails every call still waiting.</summary>
    private void Lose(Exception reason)
    {
        bool first = Interlocked.CompareExchange(ref _lost, reason, null) is null;
        Exception lost = Volatile.Read(ref _lost)!;
        if (first)
        {
            ClientLog.Disconnected(_logger, _endPoint, InFlight, lost.Message);
        }

        foreach (KeyValuePair<ulong, PendingCall<TFrame>> entry in _calls)
        {
            if (_calls.TryRemove(entry))
            {
                entry.Value.Fail(lost);
            }
        }

        while (_inOrder.TryDequeue(out PendingCall<TFrame>? call))
        {
            call.Fail(lost);
        }

        _pushes.Writer.TryComplete();
        if (first)
        {
            _timeoutTicker?.Dispose();
        }

        if (first && _onDisconnected is { } disconnected)
        {
            try
            {
                disconnected(lost);
            }
            catch (Exception)
            {
                // The application's teardown hook must not take the client's own teardown down with it.
            }
        }
    }

    private void ThrowIfLost()
    {
        if (Volatile.Read(ref _lost) is { } lost)
        {
            throw new WireframeConnectionLostException(lost.Message, lost);
        }
    }

    private IMessageFormatter<T> Formatter<T>() =>
        (IMessageFormatter<T>)_formatterCache.GetOrAdd(typeof(T), static (_, formatters) => formatters.Get<T>(), _formatters);
}
