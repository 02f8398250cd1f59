using System.Buffers;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using Wireframe.Connections;
using Wireframe.Diagnostics;
using Wireframe.Framing;
using Wireframe.Messages;

namespace Wireframe.Fragmentation;

/// <summary>
/// The inbound half of the fragment adapter and the connection's inbound memory budget. Sits in the
/// read loop between the codec and routing: it strips fragment headers, reassembles split messages
/// under the limits in <see cref="WireframeOptions"/>, evicts partial messages that outlive
/// <see cref="WireframeOptions.ReassemblyTimeout"/>, and tells the read loop to pause while handlers
/// hold too much. Reassembly state is owned by the read loop; the in-flight count and the wake-ups
/// are thread-safe.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "The connection calls Close when it ends; nothing else owns it.")]
internal sealed class InboundAssembly<TFrame>
{
    private readonly WireframeConnection<TFrame> _connection;
    private readonly IFragmentStrategy<TFrame>? _strategy;
    private readonly IEnvelopeFormat<TFrame> _format;
    private readonly WireframeOptions _options;
    private readonly WireframeMetrics _metrics;
    private readonly Reassembler? _reassembler;
    private readonly long _softLimit;
    private readonly long _maxMessageSize;
    private readonly bool _hasBodyRoutes;
    private ITimer? _purgeTimer;
    private bool _purgeArmed;
    private int _purgeDue;
    private long _inFlightBytes;
    private long _bufferedBytes;
    private int _inReassembly;
    private long _reassembled;
    private long _evictions;
    private long _refused;
    private long _pauses;
    private bool _paused;
    private int _consecutiveRefusals;
    private TaskCompletionSource? _roomWaiter;
    private Dictionary<ulong, StreamedBody>? _bodies;
    private StreamedBody? _flushingBody;
    private List<Task>? _bodyHandlers;

    public InboundAssembly(WireframeConnection<TFrame> connection, IFragmentStrategy<TFrame>? strategy)
    {
        _connection = connection;
        _strategy = strategy;
        _format = connection.Application.Format;
        _options = connection.Application.Options;
        _metrics = connection.Application.Metrics;
        _softLimit = _options.MaxBufferedBytesPerConnection - (_options.MaxBufferedBytesPerConnection / 5);
        _maxMessageSize = _options.MaxMessageSize;
        _hasBodyRoutes = connection.Application.HasBodyRoutes;
        if (strategy is not null || _hasBodyRoutes)
        {
            // Bodies share the reassembly limits (count, timeout), so the purge machinery is always there with them.
            _reassembler = new Reassembler(
                new ReassemblyLimits
                {
                    MaxMessageSize = _options.MaxMessageSize,
                    MaxBufferedBytes = _options.MaxBufferedBytesPerConnection,
                    MaxConcurrentMessages = _options.MaxMessagesInReassembly,
                    Timeout = _options.ReassemblyTimeout,
                },
                connection.Application.TimeProvider);
        }
    }

    /// <summary>Gets a value indicating whether a fragment strategy is in use.</summary>
    public bool Fragments => _strategy is not null;

    /// <summary>Gets a value indicating whether handlers hold so much that reading must wait: 80 % of the budget, with some of it theirs to release.</summary>
    public bool MustWait
    {
        get
        {
            long inFlight = Volatile.Read(ref _inFlightBytes);
            return inFlight > 0 && inFlight + Volatile.Read(ref _bufferedBytes) >= _softLimit;
        }
    }

    /// <summary>Takes a snapshot of the connection's inbound memory; callable from any thread.</summary>
    public InboundMemoryStats Snapshot() => new(
        Volatile.Read(ref _inReassembly),
        Volatile.Read(ref _bufferedBytes),
        Volatile.Read(ref _inFlightBytes),
        Volatile.Read(ref _reassembled),
        Volatile.Read(ref _evictions),
        Volatile.Read(ref _refused),
        Volatile.Read(ref _pauses),
        Volatile.Read(ref _paused));

    /// <summary>
    /// Looks at a decoded frame: a whole message to dispatch, a fragment to keep, or a refusal.
    /// </summary>
    /// <param name="frame">The decoded frame, valid until the read loop advances past it.</param>
    /// <param name="decoder">The connection's decoder, whose malformed-frame policy a bad fragment header falls under.</param>
    /// <param name="message">With <see cref="AssemblyStep.DispatchRebuilt"/>, the message.</param>
    /// <param name="owner">With <see cref="AssemblyStep.DispatchRebuilt"/>, the pooled buffer holding a reassembled payload, or <see langword="null"/> when the payload is a view of the input; the caller disposes it once the request is done.</param>
    /// <param name="outcome">With <see cref="AssemblyStep.Stop"/>, why the connection closes.</param>
    /// <returns>What the read loop does next (with <see cref="AssemblyStep.Body"/>, see <see cref="Body"/>).</returns>
    public AssemblyStep Accept(in TFrame frame, ref FrameDecoder<TFrame> decoder, out TFrame message, out PooledBufferWriter? owner, ref DisconnectInfo? outcome)
    {
        Unsafe.SkipInit(out message);
        owner = null;
        if (_hasBodyRoutes && _connection.Application.IsBodyRoute(_format.GetMessageId(frame)))
        {
            return AcceptBody(frame, ref decoder, ref outcome);
        }

        if (_strategy is null)
        {
            return AcceptWhole(frame, ref outcome);
        }

        ReadOnlySequence<byte> payload = _format.GetPayload(frame);
        FragmentDecodeStatus status = DecodeHeader(frame, payload, out FragmentHeader header, out int headerLength, out string? failure);
        switch (status)
        {
            case FragmentDecodeStatus.Whole:
                if (payload.Length - headerLength > _maxMessageSize)
                {
                    return Refuse(0, ReassemblyError.MessageTooLarge, ref outcome);
                }

                _consecutiveRefusals = 0;
                if (headerLength == 0)
                {
                    return AssemblyStep.Dispatch;
                }

                message = Rebuild(frame, payload.Slice(headerLength));
                return AssemblyStep.DispatchRebuilt;
            case FragmentDecodeStatus.Fragment:
                return AcceptFragment(frame, header, payload.Slice(headerLength), out message, out owner, ref outcome);
            default:
                outcome = decoder.RejectFrame(failure ?? "The fragment header is malformed.");
                return outcome is null ? AssemblyStep.Consumed : AssemblyStep.Stop;
        }
    }

    /// <summary>
    /// Waits until the handler of a streamed body has room for more (the backpressure that stops the
    /// socket), the body ends, or the connection stops.
    /// </summary>
    public async ValueTask FlushBodyAsync(StreamedBody body)
    {
        while (!body.Completed)
        {
            // Published before the checks: a stop or purge that comes after them cancels the flush
            // (or the next one, if it has not started yet), so no wake-up is lost.
            Volatile.Write(ref _flushingBody, body);
            if (_connection.PendingStop is not null)
            {
                Volatile.Write(ref _flushingBody, null);
                return;
            }

            if (Volatile.Read(ref _purgeDue) != 0)
            {
                // A purge may end this very body.
                Volatile.Write(ref _flushingBody, null);
                PurgeIfDue();
                continue;
            }

            FlushResult result;
            try
            {
                result = await body.Pipe.Writer.FlushAsync().ConfigureAwait(false);
            }
            finally
            {
                Volatile.Write(ref _flushingBody, null);
            }

            if (!result.IsCanceled)
            {
                return;
            }
        }
    }

    /// <summary>Remembers a body's handler, so the connection does not end under it.</summary>
    public void TrackBodyHandler(Task handler)
    {
        List<Task> handlers = _bodyHandlers ??= [];
        handlers.RemoveAll(static task => task.IsCompleted);
        handlers.Add(handler);
    }

    /// <summary>
    /// With concurrent requests, waits until fewer than <paramref name="limit"/> handlers of bodies
    /// that have all their bytes are still running, so whole or finished bodies cannot start an
    /// unbounded number of handlers. Handlers of bodies still streaming are not waited for (only the
    /// read loop can feed them); <see cref="WireframeOptions.MaxMessagesInReassembly"/> bounds those.
    /// </summary>
    public async ValueTask WaitForBodyHandlerRoomAsync(int limit)
    {
        if (_bodyHandlers is not { } handlers)
        {
            return;
        }

        while (_connection.PendingStop is null)
        {
            handlers.RemoveAll(static task => task.IsCompleted);
            int streaming = _bodies?.Count ?? 0;
            if (handlers.Count - streaming < limit)
            {
                return;
            }

            await Task.WhenAny(handlers).ConfigureAwait(false);
        }
    }

    /// <summary>Ends every body still streaming (the connection is ending) and waits for every body handler.</summary>
    public async ValueTask AbortBodiesAsync()
    {
        if (_bodies is { } bodies)
        {
            foreach (StreamedBody body in bodies.Values)
            {
                body.Fail("The connection closed before the message's last fragment.");
            }

            bodies.Clear();
        }

        if (_bodyHandlers is not { } handlers)
        {
            return;
        }

        foreach (Task handler in handlers)
        {
            // The handlers report their own failures; here we only wait for them to let go.
            await handler.ContinueWith(static _ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Checks a whole frame of an application without fragmentation against
    /// <see cref="WireframeOptions.MaxMessageSize"/> (the codec's maximum frame length may be larger).
    /// </summary>
    public AssemblyStep AcceptWhole(in TFrame frame, ref DisconnectInfo? outcome)
    {
        if (_format.GetPayload(frame).Length <= _maxMessageSize)
        {
            _consecutiveRefusals = 0;
            return AssemblyStep.Dispatch;
        }

        return Refuse(0, ReassemblyError.MessageTooLarge, ref outcome);
    }

    /// <summary>Gets the streamed body the last frame fed (after <see cref="AssemblyStep.Body"/>).</summary>
    public StreamedBody? Body { get; private set; }

    /// <summary>Gets a value indicating whether the last frame started <see cref="Body"/> (its handler must be started).</summary>
    public bool BodyIsNew { get; private set; }

    /// <summary>
    /// Gives a rebuilt message memory of its own, for a request that outlives the read: its payload
    /// is copied out of the input into a pooled buffer the caller owns.
    /// </summary>
    public PooledBufferWriter Detach(ref TFrame message)
    {
        ReadOnlySequence<byte> payload = _format.GetPayload(message);
        var copy = new PooledBufferWriter((int)Math.Max(1, payload.Length));
        copy.Write(payload);
        message = _format.WithPayload(message, new ReadOnlySequence<byte>(copy.WrittenMemory));
        return copy;
    }

    /// <summary>Builds the logical frame for a message that is not the decoded frame as it stands.</summary>
    private TFrame Rebuild(in TFrame lastFragment, ReadOnlySequence<byte> payload) =>
        _format.WithPayload(lastFragment, payload);

    /// <summary>Counts bytes a concurrently running request holds until it calls <see cref="ReleaseInFlight"/>.</summary>
    public void TrackInFlight(long bytes) => Interlocked.Add(ref _inFlightBytes, bytes);

    /// <summary>A request finished with its message: its bytes leave the budget, and a paused read loop may go on.</summary>
    public void ReleaseInFlight(long bytes)
    {
        Interlocked.Add(ref _inFlightBytes, -bytes);
        Wake();
    }

    /// <summary>Wakes a read loop waiting for room (memory was freed, a purge is due, or the connection is stopping).</summary>
    public void Wake() => Interlocked.Exchange(ref _roomWaiter, null)?.TrySetResult();

    /// <summary>Wakes a read loop waiting for room or for a body's handler (a purge is due, or the connection is stopping).</summary>
    public void Interrupt()
    {
        Wake();
        Volatile.Read(ref _flushingBody)?.Pipe.Writer.CancelPendingFlush();
    }

    /// <summary>
    /// Waits, with reading paused, while partial messages and handlers together hold 80 % or more of
    /// <see cref="WireframeOptions.MaxBufferedBytesPerConnection"/> and handlers hold some of it.
    /// Returns when under it or when the connection stops; purges expired partial messages meanwhile.
    /// </summary>
    public ValueTask WaitForRoomAsync() => MustWait ? PauseAsync() : default;

    /// <summary>Evicts partial messages whose <see cref="WireframeOptions.ReassemblyTimeout"/> ran out, if the timer said some may have.</summary>
    public void PurgeIfDue()
    {
        if (Volatile.Read(ref _purgeDue) == 0 || Interlocked.Exchange(ref _purgeDue, 0) == 0)
        {
            return;
        }

        Reassembler reassembler = _reassembler!;

        _purgeArmed = false;
        int evicted = reassembler.PurgeExpired() + PurgeExpiredBodies();
        if (evicted > 0)
        {
            Volatile.Write(ref _evictions, _evictions + evicted);
            _metrics.ReassemblyEvicted(evicted);
            WireframeLog.ReassemblyExpired(_connection.Application.Logger, _connection.Id.Value, evicted, _options.ReassemblyTimeout);
            PublishReassemblyState(reassembler);
        }

        ArmPurge(reassembler);
    }

    /// <summary>Frees every partial message and stops the purge timer (the connection ended).</summary>
    public void Close()
    {
        Interlocked.Exchange(ref _purgeTimer, null)?.Dispose();
        if (_bodies is { } bodies)
        {
            foreach (StreamedBody body in bodies.Values)
            {
                body.Fail("The connection closed before the message's last fragment.");
            }

            bodies.Clear();
        }

        if (_reassembler is { } reassembler)
        {
            reassembler.Dispose();
            PublishReassemblyState(reassembler);
        }

        Wake();
    }

    private FragmentDecodeStatus DecodeHeader(in TFrame frame, ReadOnlySequence<byte> payload, out FragmentHeader header, out int headerLength, out string? failure)
    {
        failure = null;
        try
        {
            FragmentDecodeStatus status = _strategy!.DecodeHeader(frame, payload, out header, out headerLength);
            if (status != FragmentDecodeStatus.Malformed && (uint)headerLength > (ulong)payload.Length)
            {
                failure = $"The fragment strategy reported a {headerLength}-byte header in a {payload.Length}-byte payload.";
                return FragmentDecodeStatus.Malformed;
            }

            return status;
        }
        catch (Exception ex)
        {
            (header, headerLength) = (default, 0);
            failure = $"The fragment strategy threw {ex.GetType().Name}: {ex.Message}";
            return FragmentDecodeStatus.Malformed;
        }
    }

    /// <summary>A frame of a message whose handler takes a streamed body: feed the body instead of reassembling.</summary>
    private AssemblyStep AcceptBody(in TFrame frame, ref FrameDecoder<TFrame> decoder, ref DisconnectInfo? outcome)
    {
        Body = null;
        BodyIsNew = false;
        ReadOnlySequence<byte> payload = _format.GetPayload(frame);
        FragmentHeader header = new(0, 0, isLast: true);
        ReadOnlySequence<byte> chunk = payload;
        bool whole = true;
        if (_strategy is not null)
        {
            FragmentDecodeStatus status = DecodeHeader(frame, payload, out header, out int headerLength, out string? failure);
            if (status == FragmentDecodeStatus.Malformed)
            {
                outcome = decoder.RejectFrame(failure ?? "The fragment header is malformed.");
                return outcome is null ? AssemblyStep.Consumed : AssemblyStep.Stop;
            }

            chunk = payload.Slice(headerLength);
            whole = status == FragmentDecodeStatus.Whole;
            if (whole)
            {
                header = new FragmentHeader(0, 0, isLast: true);
            }
        }

        TimeProvider time = _connection.Application.TimeProvider;
        Dictionary<ulong, StreamedBody> bodies = _bodies ??= [];
        bool isNew = whole || !bodies.ContainsKey(header.MessageKey);
        StreamedBody body;
        if (isNew)
        {
            if (!whole && header.HasIndex && header.Index != 0)
            {
                return Refuse(header.MessageKey, ReassemblyError.MissingStart, ref outcome);
            }

            if (!whole && bodies.Count + _reassembler!.InProgress >= _options.MaxMessagesInReassembly)
            {
                return Refuse(header.MessageKey, ReassemblyError.TooManyMessages, ref outcome);
            }

            body = new StreamedBody(header.MessageKey, time.GetTimestamp(), _options.StreamedBodyWindow);
            if (!whole)
            {
                bodies.Add(header.MessageKey, body);
                if (!_purgeArmed)
                {
                    ArmPurge(_reassembler!);
                }
            }
        }
        else
        {
            body = bodies[header.MessageKey];
            if (Reassembler.CheckSeries(header, body.NextIndex, time.GetElapsedTime(body.Started) >= _options.ReassemblyTimeout) is { } error)
            {
                if (error == ReassemblyError.Expired)
                {
                    Volatile.Write(ref _evictions, _evictions + 1);
                    _metrics.ReassemblyEvicted(1);
                }

                bodies.Remove(header.MessageKey);
                body.Fail(Describe(error));
                return Refuse(header.MessageKey, error, ref outcome);
            }
        }

        if (body.Received + chunk.Length > _options.MaxStreamedBodySize)
        {
            if (!whole)
            {
                bodies.Remove(header.MessageKey);
            }

            body.Fail($"The body would exceed {nameof(WireframeOptions)}.{nameof(WireframeOptions.MaxStreamedBodySize)} ({_options.MaxStreamedBodySize} bytes).");
            return Refuse(header.MessageKey, ReassemblyError.MessageTooLarge, ref outcome);
        }

        PipeWriter writer = body.Pipe.Writer;
        foreach (ReadOnlyMemory<byte> block in chunk)
        {
            writer.Write(block.Span);
        }

        body.Received += chunk.Length;
        body.NextIndex++;
        if (header.IsLast)
        {
            if (!whole)
            {
                bodies.Remove(header.MessageKey);
            }

            body.Completed = true;
            writer.Complete();
        }

        _consecutiveRefusals = 0;
        Body = body;
        BodyIsNew = isNew;
        PublishBodyCount();
        return AssemblyStep.Body;
    }

    private int PurgeExpiredBodies()
    {
        if (_bodies is not { Count: > 0 } bodies)
        {
            return 0;
        }

        int evicted = 0;
        foreach (StreamedBody body in bodies.Values)
        {
            // Removing the current entry while enumerating is allowed for Dictionary.
            if (_connection.Application.TimeProvider.GetElapsedTime(body.Started) >= _options.ReassemblyTimeout)
            {
                bodies.Remove(body.Key);
                body.Fail(Describe(ReassemblyError.Expired));
                evicted++;
            }
        }

        return evicted;
    }

    private static string Name(ReassemblyError error) => error switch
    {
        ReassemblyError.MissingStart => "missing_start",
        ReassemblyError.OutOfOrder => "out_of_order",
        ReassemblyError.Duplicate => "duplicate",
        ReassemblyError.IndexOverflow => "index_overflow",
        ReassemblyError.MessageTooLarge => "message_too_large",
        ReassemblyError.BufferBudgetExceeded => "buffer_budget_exceeded",
        ReassemblyError.TooManyMessages => "too_many_messages",
        _ => "expired",
    };

    private AssemblyStep AcceptFragment(in TFrame frame, in FragmentHeader header, ReadOnlySequence<byte> chunk, out TFrame message, out PooledBufferWriter? owner, ref DisconnectInfo? outcome)
    {
        Unsafe.SkipInit(out message);
        owner = null;
        Reassembler reassembler = _reassembler!;
        if (_bodies is { Count: > 0 } bodies && !header.IsLast && !reassembler.IsInProgress(header.MessageKey)
            && bodies.Count + reassembler.InProgress >= _options.MaxMessagesInReassembly)
        {
            // Streamed bodies and partial messages share the limit.
            return Refuse(header.MessageKey, ReassemblyError.TooManyMessages, ref outcome);
        }

        ReassemblyOutcome result = reassembler.Accept(header, chunk, out ReassembledMessage whole, out ReassemblyError error);
        PublishReassemblyState(reassembler);
        switch (result)
        {
            case ReassemblyOutcome.Buffered:
                _consecutiveRefusals = 0;
                if (!_purgeArmed)
                {
                    ArmPurge(reassembler);
                }

                return AssemblyStep.Consumed;
            case ReassemblyOutcome.Completed:
                _consecutiveRefusals = 0;
                if (whole.Owner is not null)
                {
                    Volatile.Write(ref _reassembled, _reassembled + 1);
                    _metrics.MessageReassembled();
                }

                try
                {
                    message = Rebuild(frame, whole.Payload);
                }
                catch
                {
                    whole.Dispose();
                    throw;
                }

                owner = whole.Owner;
                return AssemblyStep.DispatchRebuilt;
            default:
                if (error == ReassemblyError.Expired)
                {
                    Volatile.Write(ref _evictions, _evictions + 1);
                    _metrics.ReassemblyEvicted(1);
                }

                return Refuse(header.MessageKey, error, ref outcome);
        }
    }

    private AssemblyStep Refuse(ulong key, ReassemblyError error, ref DisconnectInfo? outcome)
    {
        PublishBodyCount();
        Volatile.Write(ref _refused, _refused + 1);
        string name = Name(error);
        _metrics.ReassemblyError(name);
        _metrics.Error(ErrorTypes.ReassemblyError);
        bool memory = error is ReassemblyError.BufferBudgetExceeded or ReassemblyError.TooManyMessages;
        bool close = memory || _options.ReassemblyErrorAction == FrameErrorAction.Disconnect;
        string detail = Describe(error);
        if (!close && ++_consecutiveRefusals >= _options.MaxConsecutiveFrameErrors)
        {
            // Dropping is for the odd bad message; a peer that sends nothing else is closed (and cannot flood the log).
            close = true;
            detail = $"{_consecutiveRefusals} refused fragments in a row ({nameof(WireframeOptions)}.{nameof(WireframeOptions.MaxConsecutiveFrameErrors)} is {_options.MaxConsecutiveFrameErrors}); last: {detail}";
        }

        WireframeLog.FragmentRefused(_connection.Application.Logger, _connection.Id.Value, key, name, close ? "closing the connection" : "dropping the message", detail);
        if (!close)
        {
            return AssemblyStep.Consumed;
        }

        if (memory)
        {
            _metrics.Error(ErrorTypes.MemoryBudgetExceeded);
        }

        outcome = new DisconnectInfo(memory ? DisconnectReason.MemoryBudgetExceeded : DisconnectReason.ReassemblyFailed, Detail: detail);
        return AssemblyStep.Stop;
    }

    private string Describe(ReassemblyError error) => error switch
    {
        ReassemblyError.MissingStart => "A fragment continued a message that is not in reassembly (its first fragment never came, or the message already completed or was evicted).",
        ReassemblyError.OutOfOrder => "A fragment skipped an index in its message's series.",
        ReassemblyError.Duplicate => "A fragment repeated an index its message already has.",
        ReassemblyError.IndexOverflow => "A non-final fragment carried the largest index, so its message could never end.",
        ReassemblyError.MessageTooLarge => $"The message would exceed {nameof(WireframeOptions)}.{nameof(WireframeOptions.MaxMessageSize)} ({_options.MaxMessageSize} bytes).",
        ReassemblyError.BufferBudgetExceeded => $"Partial messages would exceed {nameof(WireframeOptions)}.{nameof(WireframeOptions.MaxBufferedBytesPerConnection)} ({_options.MaxBufferedBytesPerConnection} bytes).",
        ReassemblyError.TooManyMessages => $"More than {nameof(WireframeOptions)}.{nameof(WireframeOptions.MaxMessagesInReassembly)} ({_options.MaxMessagesInReassembly}) messages would be in reassembly.",
        _ => $"The message was in reassembly longer than {nameof(WireframeOptions)}.{nameof(WireframeOptions.ReassemblyTimeout)} ({_options.ReassemblyTimeout}).",
    };

    private void PublishBodyCount() => Volatile.Write(ref _inReassembly, (_reassembler?.InProgress ?? 0) + (_bodies?.Count ?? 0));

    private void PublishReassemblyState(Reassembler reassembler)
    {
        long before = _bufferedBytes;
        Volatile.Write(ref _bufferedBytes, reassembler.BufferedBytes);
        Volatile.Write(ref _inReassembly, reassembler.InProgress + (_bodies?.Count ?? 0));
        _metrics.ReassemblyBuffered(reassembler.BufferedBytes - before);
    }

    private void ArmPurge(Reassembler reassembler)
    {
        TimeSpan? due = reassembler.NextExpiry();
        if (_bodies is { Count: > 0 } bodies)
        {
            foreach (StreamedBody body in bodies.Values)
            {
                TimeSpan left = _options.ReassemblyTimeout - _connection.Application.TimeProvider.GetElapsedTime(body.Started);
                due = due is null || left < due ? left : due;
            }
        }

        if (due is null)
        {
            return;
        }

        due = due < TimeSpan.Zero ? TimeSpan.Zero : due;

        ITimer? timer = _purgeTimer;
        if (timer is null)
        {
            timer = _connection.Application.TimeProvider.CreateTimer(static state => ((InboundAssembly<TFrame>)state!).OnPurgeDue(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            _purgeTimer = timer;
        }

        _purgeArmed = true;
        timer.Change(due.Value, Timeout.InfiniteTimeSpan);
    }

    private void OnPurgeDue()
    {
        // The read loop owns the partial messages: wake it (in a read or waiting for room) to purge.
        Volatile.Write(ref _purgeDue, 1);
        Interrupt();
        _connection.Input.CancelPendingRead();
    }

    private async ValueTask PauseAsync()
    {
        Volatile.Write(ref _pauses, _pauses + 1);
        Volatile.Write(ref _paused, true);
        _metrics.ReadPaused();
        WireframeLog.ReadPaused(_connection.Application.Logger, _connection.Id.Value, Volatile.Read(ref _inFlightBytes) + Volatile.Read(ref _bufferedBytes), _options.MaxBufferedBytesPerConnection);
        try
        {
            while (MustWait && _connection.PendingStop is null)
            {
                if (Volatile.Read(ref _purgeDue) != 0)
                {
                    // Evicting expired partial messages frees budget too; the timer woke us for it.
                    PurgeIfDue();
                    continue;
                }

                var waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                Volatile.Write(ref _roomWaiter, waiter);

                // Checked again after publishing the waiter, so a release in between is not missed.
                if (!MustWait || _connection.PendingStop is not null || Volatile.Read(ref _purgeDue) != 0)
                {
                    break;
                }

                await waiter.Task.ConfigureAwait(false);
            }
        }
        finally
        {
            Volatile.Write(ref _paused, false);
        }
    }
}
