using System.Buffers;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using Wireframe.Diagnostics;
using Wireframe.Fragmentation;
using Wireframe.Framing;
using Wireframe.Messages;
using Wireframe.Outbound;
using Wireframe.Routing;
using Wireframe.Serialization;

namespace Wireframe.Connections;

/// <summary>
/// The only code that writes to a connection's transport. Every outbound frame of the connection,
/// from any task, is encoded here under one gate; frames are batched and flushed once per batch,
/// and an awaited flush (with the gate held) is the backpressure every writer feels.
/// </summary>
/// <remarks>
/// The uncontended path takes the gate without waiting, encodes straight into the transport's
/// buffer and returns a completed <see cref="ValueTask"/>: no allocation, no thread hop.
/// A contended writer waits for the gate (first come, first served); callers keep the frame's
/// memory valid until the returned task completes. Cancellation applies before the gate is entered
/// and to the flush. The one exception to first come, first served: while a frame handler's run
/// holds the gate, sends made on the run's own thread are nested inside it, so they are written at
/// once, ahead of the writers waiting (see <see cref="StartFrameRun"/>).
/// </remarks>
internal sealed class ConnectionWriter<TFrame>
{
    // Not readonly: a mutable struct, entered and left in place.
    private WriterGate _gate;
    private readonly PipeWriter _output;
    private readonly BatchedOutput _batch;
    private readonly IFrameCodec<TFrame> _codec;

    // The built-in length-delimited codec, when it is the application's: encoded with direct calls.
    private readonly LengthDelimitedCodec? _lengthDelimited;
    private readonly IEnvelopeFormat<TFrame> _format;
    private readonly WireframeMetrics _metrics;
    private readonly int _maxUnflushedBytes;
    private readonly WireframeConnection<TFrame> _connection;
    private readonly IWireframeProtocol<TFrame>? _protocol;
    private readonly int _maxHighBurst;
    private readonly TimeSpan? _highTimeSlice;
    private readonly TimeSpan? _slowConsumerTimeout;
    private readonly OutboundFragmenter<TFrame>? _fragmenter;
    private PushQueues<TFrame>? _pushes;
    private ITimer? _slowConsumerTimer;
    private long _unflushedFrames;
    private int _highStreak;
    private long _highStreakStarted;
    private bool _completed;
    private bool _flushWaiting;

    // The managed thread running frame handlers with the gate held (0 when none). Code that this
    // thread runs meanwhile (a handler's own SendAsync, a continuation it completes inline) is nested
    // inside the run, so it writes straight into the batch instead of waiting for a gate that cannot
    // open until it returns. Only the run's own thread ever finds its id here.
    private int _frameRunThread;

    public ConnectionWriter(WireframeConnection<TFrame> connection, PipeWriter output)
    {
        WireframeApplication<TFrame> application = connection.Application;
        WireframeOptions options = application.Options;
        _connection = connection;
        _output = output;
        _batch = new BatchedOutput(output);
        _codec = application.Codec;
        _lengthDelimited = typeof(TFrame) == typeof(ReadOnlySequence<byte>) ? _codec as LengthDelimitedCodec : null;
        _format = application.Format;
        _metrics = application.Metrics;
        _protocol = application.Protocol;
        _maxUnflushedBytes = options.MaxUnflushedBytes;
        _maxHighBurst = options.MaxHighPriorityBurst;
        _highTimeSlice = options.HighPriorityTimeSlice;
        _slowConsumerTimeout = options.SlowConsumerTimeout;
        if (application.FragmentStrategy is { } strategy)
        {
            _fragmenter = new OutboundFragmenter<TFrame>(strategy, _format, _codec);
        }
    }

    private enum DrainMode
    {
        /// <summary>The push work item: hands the writer to a waiting writer when the fairness budget says so.</summary>
        Pump,

        /// <summary>A response is waiting with the writer held: the frames queued before it, then its turn.</summary>
        BeforeResponse,

        /// <summary>The connection's completion: everything queued, nobody else to give a turn to.</summary>
        Final,
    }

    /// <summary>Gets a value indicating whether a flush is waiting for the peer right now (a slow-consumer timer that fires otherwise is stale).</summary>
    internal bool IsFlushWaiting => Volatile.Read(ref _flushWaiting);

    /// <summary>Gets a value indicating whether somebody waits for the writer behind its current holder.</summary>
    internal bool HasWaiters => _gate.HasWaiters;

    /// <summary>Gets a value indicating whether anything was written since the last flush (a frame may encode to no bytes; it is still counted there).</summary>
    private bool HasUnflushed => _unflushedFrames != 0 || _batch.Unflushed != 0;

    /// <summary>Gets a value indicating whether the writer no longer accepts frames.</summary>
    public bool IsCompleted => Volatile.Read(ref _completed);

    /// <summary>Encodes a frame into the batch. Returns <see langword="false"/> when the connection is closed.</summary>
    public ValueTask<bool> WriteAsync(TFrame frame, CancellationToken cancellationToken = default)
    {
        if (!_gate.TryEnter())
        {
            return IsInFrameRun ? new ValueTask<bool>(SendInRun(frame)) : WriteContendedAsync(frame, cancellationToken);
        }

        if (_completed)
        {
            _gate.Exit();
            return new ValueTask<bool>(false);
        }

        if (_pushes is { Pending: > 0 })
        {
            return PushesThenWriteAsync(frame, cancellationToken);
        }

        try
        {
            if (!TryEncodeResponseHeld(frame, out TFrame split))
            {
                return SplitThenReleaseAsync(split, null, cancellationToken);
            }
        }
        catch
        {
            _gate.Exit();
            throw;
        }

        return ReleaseOrFlushAsync(cancellationToken);
    }

    /// <summary>Serializes a message, wraps it in a frame and encodes it into the batch.</summary>
    public ValueTask<bool> WriteMessageAsync<T>(uint messageId, ulong? correlationId, T message, IMessageFormatter<T> formatter, CancellationToken cancellationToken = default)
    {
        if (formatter is IPayloadPassthrough<T> passthrough)
        {
            return WriteAsync(_format.CreateFrame(messageId, correlationId, passthrough.AsPayload(message)), cancellationToken);
        }

        if (!_gate.TryEnter())
        {
            return IsInFrameRun
                ? WriteMessageInRun(messageId, correlationId, message, formatter)
                : WriteMessageContendedAsync(messageId, correlationId, message, formatter, cancellationToken);
        }

        if (_completed)
        {
            _gate.Exit();
            return new ValueTask<bool>(false);
        }

        if (_pushes is { Pending: > 0 })
        {
            _gate.Exit();
            return WriteMessageContendedAsync(messageId, correlationId, message, formatter, cancellationToken);
        }

        // The thread's scratch buffer is safe here: serialization and encoding finish before this
        // method can yield.
        PooledBufferWriter? scratch = PooledBufferWriter.RentScratch();
        try
        {
            formatter.Serialize(message, scratch);
            if (!TryEncodeResponseHeld(_format.CreateFrame(messageId, correlationId, new ReadOnlySequence<byte>(scratch.WrittenMemory)), out TFrame split))
            {
                // Splitting may wait for the peer between fragments: the message's buffer goes with it.
                PooledBufferWriter owned = scratch;
                scratch = null;
                return SplitThenReleaseAsync(split, owned, cancellationToken);
            }
        }
        catch
        {
            _gate.Exit();
            throw;
        }
        finally
        {
            if (scratch is not null)
            {
                PooledBufferWriter.ReturnScratch(scratch);
            }
        }

        return ReleaseOrFlushAsync(cancellationToken);
    }

    /// <summary>Writes bytes that bypass the codec, for preamble replies and other pre-framing traffic.</summary>
    public ValueTask<bool> WriteRawAsync(ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken = default)
    {
        if (IsInFrameRun)
        {
            if (_completed)
            {
                return new ValueTask<bool>(false);
            }

            _batch.Write(bytes.Span);
            return new ValueTask<bool>(true);
        }

        return WriteRawGatedAsync(bytes, cancellationToken);
    }

    private async ValueTask<bool> WriteRawGatedAsync(ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        await _gate.EnterAsync().ConfigureAwait(false);
        if (_completed)
        {
            _gate.Exit();
            return false;
        }

        _batch.Write(bytes.Span);
        return await ReleaseOrFlushAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Flushes the batch, waiting while the peer is slower than the server.</summary>
    public ValueTask<bool> FlushAsync(CancellationToken cancellationToken = default)
    {
        if (!_gate.TryEnter())
        {
            // Inside a frame run the batch is flushed when the run's read is handled.
            return IsInFrameRun ? new ValueTask<bool>(!_completed) : FlushContendedAsync(cancellationToken);
        }

        if (!HasUnflushed || _completed)
        {
            bool open = !_completed;
            _gate.Exit();
            return new ValueTask<bool>(open);
        }

        return FlushHeldAsync(cancellationToken);
    }

    /// <summary>
    /// Delivers what is queued and buffered (unless <paramref name="deliver"/> is <see langword="false"/>:
    /// the transport is gone), then completes the output. Later writes return <see langword="false"/>.
    /// </summary>
    public async ValueTask CompleteAsync(Exception? error = null, bool deliver = true)
    {
        await _gate.EnterAsync().ConfigureAwait(false);
        bool open = !_completed;
        try
        {
            // Already completed, or aborted, or nobody to deliver to: only queues to release.
            if (open && deliver && error is null && _pushes is { Pending: > 0 })
            {
                try
                {
                    // A graceful end still delivers what was queued before the connection stopped
                    // accepting: all of it, with no turns to give away (nobody else may write now).
                    _highStreak = 0;
                    await DrainPushesHeldAsync(DrainMode.Final).ConfigureAwait(false);
                }
                catch (Exception ex) when (TransportErrors.IsTransportError(ex))
                {
                    error = ex;
                }
                catch (Exception ex)
                {
                    StopAfterEncodeFailure(ex);
                    error = ex;
                }
            }

            if (open && deliver && HasUnflushed && error is null)
            {
                try
                {
                    // Still subject to SlowConsumerTimeout: a peer that never reads cannot hold the close up.
                    await FlushCoreHeldAsync(CancellationToken.None).ConfigureAwait(false);
                }
                catch (Exception ex) when (TransportErrors.IsTransportError(ex))
                {
                    // The peer is gone; there is nobody to deliver the last batch to.
                }
            }
        }
        finally
        {
            // Published before the queues are read, so a push handle created concurrently sees one or the other.
            Volatile.Write(ref _completed, true);
            Interlocked.MemoryBarrier();
            _pushes?.Close();
            _slowConsumerTimer?.Dispose();
            _fragmenter?.Release();
            try
            {
                if (open)
                {
                    await _output.CompleteAsync(error).ConfigureAwait(false);
                }
            }
            finally
            {
                _gate.Exit();
            }
        }
    }

    /// <summary>Stops the writer at once: a pending flush is cancelled so a slow reader cannot wedge shutdown.</summary>
    public void Abort()
    {
        Volatile.Write(ref _completed, true);
        _pushes?.StopAccepting();
        _output.CancelPendingFlush();
    }

    /// <summary>
    /// A codec or before-send hook failed on a pushed frame: what is buffered may end in a partial
    /// frame, so nothing more may be sent. Stops writing first, then closes as a hook failure.
    /// </summary>
    private void StopAfterEncodeFailure(Exception exception)
    {
        Abort();
        _connection.RequestStop(_connection.HookFailed("before send", exception));
    }

    /// <summary>Gets the connection's push queues, creating them on first use.</summary>
    public PushQueues<TFrame> GetOrCreatePushes()
    {
        if (Volatile.Read(ref _pushes) is { } existing)
        {
            return existing;
        }

        var created = new PushQueues<TFrame>(_connection.Application, _connection.Id, this);
        PushQueues<TFrame>? raced = Interlocked.CompareExchange(ref _pushes, created, null);
        if (raced is not null)
        {
            // Another thread created them first; ours were never seen, but hold a rate-limit bucket.
            created.Close();
            return raced;
        }

        if (_connection.PendingStop is not null || Volatile.Read(ref _completed))
        {
            // The connection stopped while the queues were being created; nobody else will close them.
            created.StopAccepting();
            if (Volatile.Read(ref _completed))
            {
                created.Close();
            }
        }

        return created;
    }

    /// <summary>Stops accepting pushes (queued ones are still delivered on a graceful close).</summary>
    public void StopPushes() => Volatile.Read(ref _pushes)?.StopAccepting();

    /// <summary>Gets a value indicating whether the batch holds <see cref="WireframeOptions.MaxUnflushedBytes"/> or more: a frame run must stop for a flush.</summary>
    internal bool IsBatchFull => _batch.Unflushed >= _maxUnflushedBytes;

    private bool IsInFrameRun => _frameRunThread == Environment.CurrentManagedThreadId;

    /// <summary>
    /// Takes the writer for a run of frame handlers if nobody holds it and no push is queued (queued
    /// pushes go first, through <see cref="EnterFrameRunAsync"/>). The run starts on its thread with
    /// <see cref="StartFrameRun"/> and ends with <see cref="ExitFrameRun"/>.
    /// </summary>
    internal bool TryEnterFrameRun()
    {
        if (!_gate.TryEnter())
        {
            return false;
        }

        if (_pushes is { Pending: > 0 })
        {
            _gate.Exit();
            return false;
        }

        return true;
    }

    /// <summary>Takes the writer for a run of frame handlers, after its holder and the pushes queued before the run, as a response would.</summary>
    internal async ValueTask EnterFrameRunAsync()
    {
        await _gate.EnterAsync().ConfigureAwait(false);
        try
        {
            if (!_completed && _pushes is { Pending: > 0 } && !FairTurnDue())
            {
                await DrainPushesHeldAsync(DrainMode.BeforeResponse).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (!TransportErrors.IsTransportError(ex))
        {
            // A push's codec or hook failed: the output may end in a partial frame, so nothing more is sent.
            StopAfterEncodeFailure(ex);
        }
        catch
        {
            _gate.Exit();
            throw;
        }
    }

    /// <summary>
    /// Marks the calling thread as the one running frame handlers with the writer held: called by
    /// the synchronous code that runs them, never before an await, so no other work can run on
    /// this thread while it is marked.
    /// </summary>
    internal void StartFrameRun() => _frameRunThread = Environment.CurrentManagedThreadId;

    /// <summary>Gives the writer back after a run of frame handlers; what they sent is flushed with the read.</summary>
    internal void ExitFrameRun()
    {
        _frameRunThread = 0;
        _gate.Exit();
    }

    /// <summary>Encodes a frame handler's frame, with the writer held by its run.</summary>
    internal bool SendInRun(in TFrame frame)
    {
        if (_completed)
        {
            return false;
        }

        _highStreak = 0;
        if (!TryEncodeHeld(frame, out _))
        {
            // Frame handlers and fragmentation are exclusive (checked at build), and only a fragmenter splits.
            throw new InvalidOperationException("A frame handler's frame cannot be split.");
        }

        return true;
    }

    /// <summary>Serializes a message, wraps it in a frame and encodes it, with the writer held by a frame run; a serializer failure throws here.</summary>
    internal bool SendMessageInRun<T>(uint messageId, ulong? correlationId, T message, IMessageFormatter<T> formatter)
    {
        if (_completed)
        {
            return false;
        }

        if (formatter is IPayloadPassthrough<T> passthrough)
        {
            return SendInRun(_format.CreateFrame(messageId, correlationId, passthrough.AsPayload(message)));
        }

        PooledBufferWriter scratch = PooledBufferWriter.RentScratch();
        try
        {
            formatter.Serialize(message, scratch);
            return SendInRun(_format.CreateFrame(messageId, correlationId, new ReadOnlySequence<byte>(scratch.WrittenMemory)));
        }
        finally
        {
            PooledBufferWriter.ReturnScratch(scratch);
        }
    }

    private ValueTask<bool> WriteMessageInRun<T>(uint messageId, ulong? correlationId, T message, IMessageFormatter<T> formatter) =>
        new(SendMessageInRun(messageId, correlationId, message, formatter));

    /// <summary>
    /// Writes queued pushes while nobody else is writing: takes the lock, drains in priority order
    /// with the fairness budget (stepping aside when another writer waits), flushes, and goes round
    /// again if more arrived meanwhile. Runs on the thread pool, scheduled by a push.
    /// </summary>
    internal async Task PumpPushesAsync(PushQueues<TFrame> pushes)
    {
        do
        {
            await _gate.EnterAsync().ConfigureAwait(false);
            try
            {
                if (!_completed)
                {
                    await DrainPushesHeldAsync(DrainMode.Pump).ConfigureAwait(false);
                    if (HasUnflushed && !_completed)
                    {
                        await FlushCoreHeldAsync(CancellationToken.None).ConfigureAwait(false);
                    }
                }
            }
            catch (Exception ex) when (TransportErrors.IsTransportError(ex))
            {
                // The read loop learns of a dead transport by itself; nothing to do here.
            }
            catch (Exception ex)
            {
                StopAfterEncodeFailure(ex);
            }
            finally
            {
                _gate.Exit();
            }
        }
        while (pushes.PumpFinished());
    }

    /// <summary>
    /// Writes queued pushes with the lock held: high priority first, then low, with the fairness
    /// budget giving a low-priority push or a waiting writer a turn after a run of high-priority
    /// frames, as <paramref name="mode"/> says.
    /// </summary>
    private async ValueTask DrainPushesHeldAsync(DrainMode mode)
    {
        PushQueues<TFrame>? pushes = _pushes;
        if (pushes is null)
        {
            return;
        }

        // A waiting response takes its turn after the frames queued before it (at most one
        // high-priority burst at a time), never after pushes that keep arriving meanwhile.
        int budget = mode == DrainMode.BeforeResponse ? pushes.Pending : int.MaxValue;
        while (budget-- > 0 && !_completed && TryTakePush(pushes, OtherWriterWaiting(mode), out OutboundItem<TFrame> item, out bool high))
        {
            try
            {
                if (!TryEncodeHeld(item.Frame, out TFrame split))
                {
                    await EncodeSplitHeldAsync(split, interleaveHighPushes: !high).ConfigureAwait(false);
                }
            }
            finally
            {
                item.Release();
            }

            if (_batch.Unflushed >= _maxUnflushedBytes && !await FlushCoreHeldAsync(CancellationToken.None).ConfigureAwait(false))
            {
                return;
            }
        }
    }

    private bool OtherWriterWaiting(DrainMode mode) => mode switch
    {
        DrainMode.BeforeResponse => true,
        DrainMode.Final => false,
        _ => _gate.HasWaiters,
    };

    private bool TryTakePush(PushQueues<TFrame> pushes, bool otherWaiting, out OutboundItem<TFrame> item, out bool high)
    {
        high = false;
        if (pushes.Pending <= 0)
        {
            item = default;
            return false;
        }

        if (!FairTurnDue())
        {
            if (pushes.TryDequeue(PushPriority.High, out item))
            {
                high = true;
                if (_highStreak == 0)
                {
                    StartHighStreak();
                }
                else
                {
                    _highStreak++;
                }

                return true;
            }
        }

        if (pushes.TryDequeue(PushPriority.Low, out item))
        {
            _highStreak = 0;
            return true;
        }

        if (otherWaiting)
        {
            // The fair turn goes to whoever waits for the writer (a response or stream frame). The
            // streak stays spent, so that writer finds its turn due instead of draining a new burst
            // first; writing its frame starts a new streak.
            item = default;
            return false;
        }

        _highStreak = 0;
        if (pushes.TryDequeue(PushPriority.High, out item))
        {
            high = true;
            StartHighStreak();
            return true;
        }

        return false;
    }

    private void StartHighStreak()
    {
        _highStreak = 1;
        if (_highTimeSlice is not null)
        {
            _highStreakStarted = _connection.Application.TimeProvider.GetTimestamp();
        }
    }

    private bool FairTurnDue() =>
        _highStreak > 0
        && ((_maxHighBurst > 0 && _highStreak >= _maxHighBurst)
            || (_highTimeSlice is { } slice && _connection.Application.TimeProvider.GetElapsedTime(_highStreakStarted) >= slice));

    private async ValueTask<bool> PushesThenWriteAsync(TFrame frame, CancellationToken cancellationToken)
    {
        try
        {
            if (!FairTurnDue())
            {
                // Pushes go first, up to the fairness budget; a spent budget means this frame's turn is now.
                await DrainPushesHeldAsync(DrainMode.BeforeResponse).ConfigureAwait(false);
            }

            if (_completed)
            {
                _gate.Exit();
                return false;
            }

            if (!TryEncodeResponseHeld(frame, out TFrame split))
            {
                await EncodeSplitHeldAsync(split, interleaveHighPushes: true).ConfigureAwait(false);
            }
        }
        catch
        {
            _gate.Exit();
            throw;
        }

        return await ReleaseOrFlushAsync(cancellationToken).ConfigureAwait(false);
    }

    private bool TryEncodeResponseHeld(in TFrame frame, out TFrame split)
    {
        _highStreak = 0;
        return TryEncodeHeld(frame, out split);
    }

    /// <summary>
    /// Encodes a frame into the batch. Returns <see langword="false"/>, with nothing written, when the
    /// frame (after the before-send hook, in <paramref name="split"/>) must be sent in several
    /// fragments: that may wait for the peer, see <see cref="EncodeSplitHeldAsync"/>.
    /// </summary>
    private bool TryEncodeHeld(in TFrame frame, out TFrame split)
    {
        if (_protocol is null && _fragmenter is null)
        {
            if (typeof(TFrame) == typeof(ReadOnlySequence<byte>) && _lengthDelimited is { } codec)
            {
                codec.Encode(Unsafe.As<TFrame, ReadOnlySequence<byte>>(ref Unsafe.AsRef(in frame)), _batch);
            }
            else
            {
                _codec.Encode(frame, _batch);
            }

            _unflushedFrames++;
            split = default!;
            return true;
        }

        // Fragmentation alone needs no copy of the frame; the hook does.
        return _protocol is null ? TryEncodeWholeHeld(frame, out split) : TryEncodeAdaptedHeld(frame, out split);
    }

    /// <summary>Encodes a frame that leaves in one piece, or says it must be split.</summary>
    private bool TryEncodeWholeHeld(in TFrame frame, out TFrame split)
    {
        if (!_fragmenter!.TryEncodeWhole(frame, _batch))
        {
            split = frame;
            return false;
        }

        _unflushedFrames++;
        split = default!;
        return true;
    }

    // Kept apart so the plain path passes the frame by reference, with no copy of it and no
    // exception handling: the hook needs a mutable copy, and its failure must be told apart from
    // the handler's.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private bool TryEncodeAdaptedHeld(TFrame frame, out TFrame split)
    {
        if (_protocol is { } protocol)
        {
            try
            {
                protocol.BeforeSend(ref frame, _connection);
            }
            catch (Exception ex)
            {
                throw new ProtocolHookException("before send", ex);
            }
        }

        if (_fragmenter is not null)
        {
            return TryEncodeWholeHeld(frame, out split);
        }

        _codec.Encode(frame, _batch);
        _unflushedFrames++;
        split = default!;
        return true;
    }

    /// <summary>
    /// Sends a frame in fragments, in order, flushing whenever <see cref="WireframeOptions.MaxUnflushedBytes"/>
    /// accumulate so a large message streams out instead of being buffered whole. Between two
    /// fragments, queued high-priority pushes go first when the strategy allows interleaving and the
    /// frame is not a high-priority push itself; nothing else can come between them.
    /// </summary>
    private async ValueTask EncodeSplitHeldAsync(TFrame frame, bool interleaveHighPushes)
    {
        OutboundFragmenter<TFrame> fragmenter = _fragmenter!;
        FragmentSlicer slicer = fragmenter.StartSplit(frame, out ulong key);
        bool interleave = interleaveHighPushes && fragmenter.AllowsInterleaving;
        while (!_completed && slicer.MoveNext())
        {
            fragmenter.EncodeFragment(frame, new FragmentHeader(key, slicer.Index, slicer.IsLast), slicer.Chunk, _batch);
            _unflushedFrames++;
            if (slicer.IsLast)
            {
                return;
            }

            if (interleave && _pushes is { Pending: > 0 } pushes)
            {
                await InterleaveHighPushesAsync(pushes).ConfigureAwait(false);
            }

            if (_batch.Unflushed >= _maxUnflushedBytes && !await FlushCoreHeldAsync(CancellationToken.None).ConfigureAwait(false))
            {
                return;
            }
        }
    }

    /// <summary>Writes queued high-priority pushes (up to the fairness burst) between two fragments of another message.</summary>
    private async ValueTask InterleaveHighPushesAsync(PushQueues<TFrame> pushes)
    {
        int budget = _maxHighBurst > 0 ? _maxHighBurst : int.MaxValue;
        while (budget-- > 0 && !_completed && pushes.TryDequeue(PushPriority.High, out OutboundItem<TFrame> item))
        {
            try
            {
                if (!TryEncodeHeld(item.Frame, out TFrame split))
                {
                    await EncodeSplitHeldAsync(split, interleaveHighPushes: false).ConfigureAwait(false);
                }
            }
            catch (Exception ex) when (!TransportErrors.IsTransportError(ex))
            {
                // The push's codec or hook failed, not the message it interrupted: stop writing (the
                // output may end in a partial frame) and close the connection as the pump would.
                StopAfterEncodeFailure(ex);
                return;
            }
            finally
            {
                item.Release();
            }
        }
    }

    private async ValueTask<bool> SplitThenReleaseAsync(TFrame split, PooledBufferWriter? owned, CancellationToken cancellationToken)
    {
        try
        {
            await EncodeSplitHeldAsync(split, interleaveHighPushes: true).ConfigureAwait(false);
        }
        catch
        {
            _gate.Exit();
            throw;
        }
        finally
        {
            owned?.Dispose();
        }

        if (_completed)
        {
            _gate.Exit();
            return false;
        }

        return await ReleaseOrFlushAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Flushes with the lock held and keeps it. Returns <see langword="false"/> when the connection is closed.</summary>
    private async ValueTask<bool> FlushCoreHeldAsync(CancellationToken cancellationToken)
    {
        long frames = _unflushedFrames;
        _unflushedFrames = 0;
        _batch.CommitForFlush();
        ValueTask<FlushResult> flush = _output.FlushAsync(cancellationToken);
        FlushResult result;
        if (flush.IsCompleted)
        {
            result = flush.Result;
        }
        else
        {
            ArmSlowConsumerTimer();
            try
            {
                result = await flush.ConfigureAwait(false);
            }
            finally
            {
                DisarmSlowConsumerTimer();
            }
        }

        if (result.IsCompleted || result.IsCanceled || _completed)
        {
            // The transport is gone or the writer was aborted: these frames were not sent.
            return false;
        }

        _metrics.FramesSent(frames);
        return true;
    }

    private void ArmSlowConsumerTimer()
    {
        Volatile.Write(ref _flushWaiting, true);
        if (_slowConsumerTimeout is not { } timeout)
        {
            return;
        }

        _slowConsumerTimer ??= _connection.Application.TimeProvider.CreateTimer(static state => ((WireframeConnection<TFrame>)state!).EvictSlowConsumer(), _connection, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        _slowConsumerTimer.Change(timeout, Timeout.InfiniteTimeSpan);
    }

    private void DisarmSlowConsumerTimer()
    {
        Volatile.Write(ref _flushWaiting, false);
        _slowConsumerTimer?.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    private ValueTask<bool> ReleaseOrFlushAsync(CancellationToken cancellationToken)
    {
        if (_batch.Unflushed < _maxUnflushedBytes)
        {
            _gate.Exit();
            return new ValueTask<bool>(true);
        }

        return FlushHeldAsync(cancellationToken);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<bool> FlushHeldAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await FlushCoreHeldAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _gate.Exit();
        }
    }

    private async ValueTask<bool> WriteContendedAsync(TFrame frame, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        await _gate.EnterAsync().ConfigureAwait(false);
        if (_completed)
        {
            _gate.Exit();
            return false;
        }

        if (_pushes is { Pending: > 0 })
        {
            return await PushesThenWriteAsync(frame, cancellationToken).ConfigureAwait(false);
        }

        try
        {
            if (!TryEncodeResponseHeld(frame, out TFrame split))
            {
                await EncodeSplitHeldAsync(split, interleaveHighPushes: true).ConfigureAwait(false);
            }
        }
        catch
        {
            _gate.Exit();
            throw;
        }

        return await ReleaseOrFlushAsync(cancellationToken).ConfigureAwait(false);
    }

    private async ValueTask<bool> WriteMessageContendedAsync<T>(uint messageId, ulong? correlationId, T message, IMessageFormatter<T> formatter, CancellationToken cancellationToken)
    {
        // Serialize before waiting, into a buffer this call owns until the frame is encoded.
        using var owned = new PooledBufferWriter();
        formatter.Serialize(message, owned);
        TFrame frame = _format.CreateFrame(messageId, correlationId, new ReadOnlySequence<byte>(owned.WrittenMemory));
        return await WriteContendedAsync(frame, cancellationToken).ConfigureAwait(false);
    }

    private async ValueTask<bool> FlushContendedAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        await _gate.EnterAsync().ConfigureAwait(false);
        if (!HasUnflushed || _completed)
        {
            bool open = !_completed;
            _gate.Exit();
            return open;
        }

        return await FlushHeldAsync(cancellationToken).ConfigureAwait(false);
    }
}
