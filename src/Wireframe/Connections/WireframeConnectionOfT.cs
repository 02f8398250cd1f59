using System.Buffers;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using Microsoft.AspNetCore.Connections;
using Wireframe.Diagnostics;
using Wireframe.Fragmentation;
using Wireframe.Framing;
using Wireframe.Outbound;
using Wireframe.Routing;
using Wireframe.Serialization;

namespace Wireframe.Connections;

/// <summary>
/// A connection of an application whose frames are <typeparamref name="TFrame"/>. It runs the one
/// path for bytes: preamble, connected hook, then a loop that decodes frames and hands each to the
/// middleware pipeline and its handler, with every outbound frame leaving through one writer.
/// </summary>
/// <typeparam name="TFrame">The application's frame type.</typeparam>
public sealed partial class WireframeConnection<TFrame> : WireframeConnection
{
    private readonly ConnectionContext _transport;
    private readonly IWireframeProtocol<TFrame>? _protocol;
    private readonly long _maxMessageSize;
    private readonly bool _checkMessageSize;

    // The built-in length-delimited codec with raw frames and no per-frame size check: the read
    // loop finds a segment's frames itself (DispatchWholeFrames).
    private readonly LengthDelimitedCodec? _wholeFrameCodec;
    private readonly FrameHandler<TFrame>? _frameHandler;
    private InboundAssembly<TFrame>? _assembly;
    private RequestContext<TFrame>? _requestContext;
    private DisconnectInfo? _stop;
    private ITimer? _drainTimer;
    private int _shutdownStarted;
    private int _finished;

    internal WireframeConnection(WireframeApplication<TFrame> application, ConnectionContext transport)
        : base(transport.ConnectionId, transport.RemoteEndPoint, transport.LocalEndPoint, application.Services)
    {
        Application = application;
        _transport = transport;
        _protocol = application.Protocol;
        Writer = new ConnectionWriter<TFrame>(this, transport.Transport.Output);
        _maxMessageSize = application.Options.MaxMessageSize;

        // The built-in formats' payload is part of the frame, so with a codec whose frames cannot
        // exceed the message limit no per-frame check is needed. A custom format may expand its
        // payload (decompression), so it is always checked.
        _checkMessageSize = (application.Codec, application.Format) switch
        {
            (LengthDelimitedCodec codec, Messages.RawFrameFormat) => codec.MaxFrameLength > _maxMessageSize,
            (Messages.EnvelopeCodec codec, Messages.EnvelopeFormat) => codec.MaxFrameLength > _maxMessageSize,
            _ => true,
        };
        _frameHandler = application.FrameHandler;
        _wholeFrameCodec = typeof(TFrame) == typeof(ReadOnlySequence<byte>) && !_checkMessageSize ? application.Codec as LengthDelimitedCodec : null;
        if (application.FragmentStrategy is not null || application.HasBodyRoutes || application.Options.MaxConcurrentRequestsPerConnection > 1)
        {
            _assembly = new InboundAssembly<TFrame>(this, application.FragmentStrategy);
        }
    }

    /// <summary>
    /// Gets a snapshot of what the connection holds in inbound memory (partial messages, messages
    /// with running handlers) and what its limits did so far. Callable from any thread.
    /// </summary>
    public InboundMemoryStats InboundMemory => _assembly?.Snapshot() ?? default;

    /// <summary>Gets the application serving this connection.</summary>
    public WireframeApplication<TFrame> Application { get; }

    internal ConnectionWriter<TFrame> Writer { get; }

    internal PipeReader Input => _transport.Transport.Input;

    /// <summary>
    /// Gets the connection's push handle, for sending frames to the peer from anywhere, at any time.
    /// The push queues are created on first use.
    /// </summary>
    public PushHandle<TFrame> Pushes => new(Writer.GetOrCreatePushes());

    /// <summary>Gets why the connection is stopping, once something asked it to.</summary>
    internal DisconnectInfo? PendingStop => Volatile.Read(ref _stop);

    /// <summary>Sends a frame as it is and flushes.</summary>
    /// <param name="frame">The frame.</param>
    /// <param name="cancellationToken">Cancels waiting for the writer.</param>
    /// <returns><see langword="false"/> when the connection is closed and nothing was sent.</returns>
    public async ValueTask<bool> SendAsync(TFrame frame, CancellationToken cancellationToken = default) =>
        await Writer.WriteAsync(frame, cancellationToken).ConfigureAwait(false)
        && await Writer.FlushAsync(cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    public override async ValueTask<bool> SendAsync<TMessage>(uint messageId, TMessage message, ulong? correlationId = null, CancellationToken cancellationToken = default)
    {
        IMessageFormatter<TMessage> formatter = Application.GetFormatter<TMessage>();
        return await Writer.WriteMessageAsync(messageId, correlationId, message, formatter, cancellationToken).ConfigureAwait(false)
            && await Writer.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public override async ValueTask<bool> SendRawAsync(ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken = default) =>
        await Writer.WriteRawAsync(bytes, cancellationToken).ConfigureAwait(false)
        && await Writer.FlushAsync(cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    public override void Close() => RequestStop(new DisconnectInfo(DisconnectReason.ClosedByApplication));

    /// <summary>
    /// Starts a graceful shutdown of this connection: handlers see <see cref="WireframeConnection.ConnectionClosing"/>
    /// fire, the request in progress may finish, the shutdown hook may say goodbye, and whatever is
    /// still running at <see cref="WireframeOptions.ShutdownDrainTimeout"/> is aborted.
    /// </summary>
    internal void BeginShutdown()
    {
        if (Interlocked.Exchange(ref _shutdownStarted, 1) != 0 || Volatile.Read(ref _finished) != 0)
        {
            return;
        }

        IsShuttingDown = true;
        ArmDrainDeadline();
        RequestStop(new DisconnectInfo(DisconnectReason.ServerShutdown));
    }

    /// <summary>Runs the connection to its end. Never throws: every outcome becomes a <see cref="DisconnectInfo"/>.</summary>
    internal async Task<DisconnectInfo> RunAsync()
    {
        long started = Application.TimeProvider.GetTimestamp();
        Application.Metrics.ConnectionOpened();
        WireframeLog.ConnectionAccepted(Application.Logger, Id.Value, RemoteEndPoint);
        DisconnectInfo outcome;
        try
        {
            outcome = await RunCoreAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (TransportErrors.IsTransportError(ex))
        {
            WireframeLog.TransportClosed(Application.Logger, Id.Value, ex.Message);
            outcome = new DisconnectInfo(DisconnectReason.TransportError, Exception: ex, Detail: ex.Message);
        }
        catch (Exception ex)
        {
            // Anything else here is a bug in a codec or the framework; the connection is the blast radius.
            WireframeLog.HandlerFailed(Application.Logger, Id.Value, 0, "closing the connection", ex);
            Application.Metrics.Error(ErrorTypes.HandlerException);
            outcome = new DisconnectInfo(DisconnectReason.HandlerFailed, Exception: ex, Detail: ex.Message);
        }

        // However the loop ended (peer EOF, a frame error, a transport error), the connection is closing
        // now: pushes are refused from here on, and what was queued is delivered or dropped below.
        Writer.StopPushes();
        FireClosing();

        // After a transport error there is nobody to deliver to: queued pushes are dropped and counted.
        ValueTask completing = Writer.CompleteAsync(deliver: outcome.Reason != DisconnectReason.TransportError);
        if (!completing.IsCompleted)
        {
            // The last frames wait for a slow peer, or for a push stuck in a flush. The drain deadline
            // (already running if the server is shutting down) bounds that wait for every close.
            ArmDrainDeadline();
        }

        try
        {
            await completing.ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            // The writer reports its own failures; whatever is left must not keep the connection from ending.
            WireframeLog.TransportClosed(Application.Logger, Id.Value, ex.Message);
        }

        Volatile.Write(ref _finished, 1);
        Interlocked.Exchange(ref _drainTimer, null)?.Dispose();
        _assembly?.Close();
        _peerClosedWatch.Dispose();

        // An abort (drain deadline, slow consumer) wins over whatever the interrupted loop concluded.
        if (PendingStop is { Reason: DisconnectReason.DrainTimeout or DisconnectReason.SlowConsumer } aborted)
        {
            outcome = aborted;
        }

        await Input.CompleteAsync().ConfigureAwait(false);
        await RunDisconnectedHookAsync(outcome).ConfigureAwait(false);

        TimeSpan duration = Application.TimeProvider.GetElapsedTime(started);
        Application.Metrics.ConnectionClosed(outcome.Reason, duration);
        WireframeLog.ConnectionClosed(Application.Logger, Id.Value, outcome, (long)duration.TotalMilliseconds);
        return outcome;
    }

    internal DisconnectInfo HookFailed(string hook, Exception exception)
    {
        if (exception is ProtocolHookException { InnerException: { } inner } wrapped)
        {
            // A protocol hook failed inside the writer while another hook (or a pump) was writing.
            hook = wrapped.Hook;
            exception = inner;
        }

        WireframeLog.HookFailed(Application.Logger, Id.Value, hook, exception);
        Application.Metrics.Error(ErrorTypes.HookException);
        return new DisconnectInfo(DisconnectReason.HookFailed, Exception: exception, Detail: $"The {hook} hook threw: {exception.Message}");
    }

    /// <summary>Records why the connection must stop (the first reason wins) and wakes the read loop.</summary>
    internal void RequestStop(DisconnectInfo reason)
    {
        bool abort = reason.Reason is DisconnectReason.DrainTimeout or DisconnectReason.SlowConsumer;
        if (Interlocked.CompareExchange(ref _stop, reason, null) is null || abort)
        {
            if (abort)
            {
                Volatile.Write(ref _stop, reason);
            }

            Writer.StopPushes();
            FireClosing();
            _assembly?.Interrupt();
            Input.CancelPendingRead();
        }
    }

    /// <summary>Closes a connection whose peer stopped reading for longer than <see cref="WireframeOptions.SlowConsumerTimeout"/>.</summary>
    internal void EvictSlowConsumer()
    {
        if (Volatile.Read(ref _finished) != 0 || !Writer.IsFlushWaiting)
        {
            // Ended already, or the flush completed just as the timer fired.
            return;
        }

        TimeSpan timeout = Application.Options.SlowConsumerTimeout ?? TimeSpan.Zero;
        WireframeLog.SlowConsumerEvicted(Application.Logger, Id.Value, timeout);
        Application.Metrics.Error(ErrorTypes.SlowConsumer);
        RequestStop(new DisconnectInfo(DisconnectReason.SlowConsumer, Detail: $"The peer did not read for {nameof(WireframeOptions)}.{nameof(WireframeOptions.SlowConsumerTimeout)} ({timeout})."));
        Writer.Abort();
        _transport.Abort(new ConnectionAbortedException($"The peer did not read for {nameof(WireframeOptions)}.{nameof(WireframeOptions.SlowConsumerTimeout)} ({timeout})."));
    }

    internal async ValueTask OnUnknownMessageAsync(RequestContext<TFrame> context)
    {
        UnknownMessagePolicy policy = Application.Options.UnknownMessagePolicy;
        Application.Metrics.Error(ErrorTypes.UnknownMessage);
        WireframeLog.UnknownMessage(Application.Logger, Id.Value, context.MessageId, policy);
        switch (policy)
        {
            case UnknownMessagePolicy.Reply when Application.UnknownMessageHook is { } hook:
                await hook(context).ConfigureAwait(false);
                break;
            case UnknownMessagePolicy.Close:
                RequestStop(new DisconnectInfo(DisconnectReason.UnknownMessage, Detail: $"No route for message {context.MessageId} ({nameof(WireframeOptions)}.{nameof(WireframeOptions.UnknownMessagePolicy)} is {nameof(UnknownMessagePolicy.Close)})."));
                break;
        }
    }

    private async Task<DisconnectInfo> RunCoreAsync()
    {
        if (Application.PreambleStage is { } preamble && await preamble.RunAsync(this).ConfigureAwait(false) is { } preambleFailure)
        {
            return preambleFailure;
        }

        if (_protocol is { } protocol)
        {
            try
            {
                await protocol.OnConnectionSetupAsync(Pushes, this).ConfigureAwait(false);
            }
            catch (Exception ex) when (!TransportErrors.IsTransportError(ex))
            {
                return HookFailed("connection setup", ex);
            }
        }

        if (Application.ConnectedHook is { } connected)
        {
            try
            {
                await connected(this).ConfigureAwait(false);
            }
            catch (Exception ex) when (!TransportErrors.IsTransportError(ex))
            {
                return HookFailed("connected", ex);
            }

            await Writer.FlushAsync().ConfigureAwait(false);
        }

        DisconnectInfo outcome = Application.Options.MaxConcurrentRequestsPerConnection == 1
            ? await ReadLoopAsync().ConfigureAwait(false)
            : await ConcurrentReadLoopAsync(Application.Options.MaxConcurrentRequestsPerConnection).ConfigureAwait(false);

        if (outcome.Reason == DisconnectReason.ServerShutdown && Application.ShutdownHook is { } goodbye)
        {
            try
            {
                await goodbye(this).ConfigureAwait(false);
                await Writer.FlushAsync().ConfigureAwait(false);
            }
            catch (Exception ex) when (!TransportErrors.IsTransportError(ex))
            {
                HookFailed("shutdown", ex);
            }
        }

        return outcome;
    }

    /// <summary>
    /// Reads, decodes and dispatches until the connection must stop. Requests run one at a time
    /// on the frames in place, or, when <paramref name="inFlight"/> is given, concurrently on
    /// private copies with at most its count running.
    /// </summary>
    private async ValueTask<DisconnectInfo> ReadLoopAsync(SemaphoreSlim? inFlight = null)
    {
        try
        {
            return await ReadFramesAsync(inFlight).ConfigureAwait(false);
        }
        finally
        {
            if (_assembly is { } assembly)
            {
                // Handlers of bodies still streaming learn the connection is ending, and are waited for.
                await assembly.AbortBodiesAsync().ConfigureAwait(false);
            }
        }
    }

    private async ValueTask<DisconnectInfo> ReadFramesAsync(SemaphoreSlim? inFlight)
    {
        PipeReader input = Input;
        InboundAssembly<TFrame>? assembly = _assembly;
        var decoder = new FrameDecoder<TFrame>(this);
        while (true)
        {
            if (PendingStop is { } stop)
            {
                return stop;
            }

            if (assembly is not null)
            {
                assembly.PurgeIfDue();
            }

            ReadResult result = await input.ReadAsync().ConfigureAwait(false);
            ReadOnlySequence<byte> buffer = result.Buffer;
            if (result.IsCanceled)
            {
                input.AdvanceTo(buffer.Start);
                continue;
            }

            DisconnectInfo? outcome = null;
            long frames = 0;
            try
            {
                while (PendingStop is null)
                {
                    TFrame frame;
                    if (assembly is null)
                    {
                        InlineStep inline;
                        if (_frameHandler is { } handler)
                        {
                            if (!Writer.TryEnterFrameRun())
                            {
                                await Writer.EnterFrameRunAsync().ConfigureAwait(false);
                            }

                            inline = RunFrameHandler(handler, ref buffer, ref decoder, ref frames, ref outcome, out frame, out Exception? failure);
                            if (failure is not null)
                            {
                                // Started with the writer given back: the failure path may reply.
                                await FailFrameAsync(frame, failure).ConfigureAwait(false);
                                continue;
                            }

                            if (inline == InlineStep.Pending)
                            {
                                // The batch reached MaxUnflushedBytes.
                                await Writer.FlushAsync().ConfigureAwait(false);
                                continue;
                            }
                        }
                        else
                        {
                            var sink = new RouteSink(this);
                            inline = DispatchAvailable(ref buffer, ref decoder, ref frames, ref outcome, ref sink, out frame, out ValueTask pending);
                            if (inline == InlineStep.Pending)
                            {
                                await pending.ConfigureAwait(false);
                                continue;
                            }
                        }

                        if (inline != InlineStep.NeedsAssembly)
                        {
                            break;
                        }

                        // Without fragmentation the codec's limit may be the larger one; the refusal
                        // (policy, log, counters) is inbound assembly's, which starts here.
                        assembly = _assembly = new InboundAssembly<TFrame>(this, null);
                    }
                    else
                    {
                        if (decoder.Next(ref buffer, out frame, ref outcome) != DecodeStatus.Frame)
                        {
                            break;
                        }

                        frames++;
                    }

                    PooledBufferWriter? owner = null;
                    AssemblyStep step = assembly.Accept(frame, ref decoder, out TFrame message, out owner, ref outcome);
                    if (step == AssemblyStep.Stop)
                    {
                        break;
                    }

                    if (step == AssemblyStep.Consumed)
                    {
                        if (inFlight is not null)
                        {
                            // Partial messages on top of what handlers hold count toward the 80 % pause too.
                            await assembly.WaitForRoomAsync().ConfigureAwait(false);
                        }

                        continue;
                    }

                    if (step == AssemblyStep.Body)
                    {
                        await FeedBodyAsync(frame, assembly.Body!, assembly.BodyIsNew, inFlight, assembly).ConfigureAwait(false);
                        continue;
                    }

                    if (step == AssemblyStep.DispatchRebuilt)
                    {
                        frame = message;
                    }

                    if (inFlight is not null)
                    {
                        await StartConcurrentRequestAsync(frame, step == AssemblyStep.DispatchRebuilt, owner, result.Buffer.Slice(decoder.FrameStart, buffer.Start), inFlight, assembly).ConfigureAwait(false);
                        continue;
                    }

                    if (owner is not null)
                    {
                        // A reassembled message's memory lives until its handler is done with it.
                        try
                        {
                            await DispatchAsync(frame).ConfigureAwait(false);
                        }
                        finally
                        {
                            owner.Dispose();
                        }

                        continue;
                    }

                    if (!TryDispatchInline(frame, out ValueTask running))
                    {
                        await running.ConfigureAwait(false);
                    }
                }

                if (outcome is null && result.IsCompleted && PendingStop is null)
                {
                    outcome = decoder.Eof(buffer);
                    if (_protocol is { } protocol)
                    {
                        outcome = RunEofHook(protocol, outcome, buffer);
                    }
                }
            }
            finally
            {
                input.AdvanceTo(buffer.Start, buffer.End);
            }

            Application.Metrics.FramesReceived(frames);
            await Writer.FlushAsync().ConfigureAwait(false);
            if (outcome is not null)
            {
                return outcome;
            }
        }
    }

    /// <summary>
    /// Decodes the frames already read and hands them to <paramref name="sink"/> for as long as it
    /// takes them synchronously, with the input and the decoder in locals: the async read loop keeps
    /// them in its heap-allocated state, where every per-frame update is a store with a GC write barrier.
    /// </summary>
    /// <returns>
    /// <see cref="InlineStep.Pending"/> when the sink ended the run (a request still running is in <paramref name="pending"/>);
    /// <see cref="InlineStep.NeedsAssembly"/> with a decoded <paramref name="frame"/> above
    /// <see cref="WireframeOptions.MaxMessageSize"/>; otherwise <see cref="InlineStep.Stop"/>: more
    /// data is needed, the decoder failed (<paramref name="outcome"/>), or the connection is stopping.
    /// </returns>
    private InlineStep DispatchAvailable<TSink>(ref ReadOnlySequence<byte> buffer, ref FrameDecoder<TFrame> decoder, ref long frames, ref DisconnectInfo? outcome, ref TSink sink, out TFrame frame, out ValueTask pending)
        where TSink : struct, IFrameSink
    {
        ReadOnlySequence<byte> remaining = buffer;
        FrameDecoder<TFrame> localDecoder = decoder;
        long count = frames;
        pending = default;
        frame = default!;
        try
        {
            while (PendingStop is null)
            {
                if (typeof(TFrame) == typeof(ReadOnlySequence<byte>) && _wholeFrameCodec is { } codec && !localDecoder.IsDiscarding)
                {
                    InlineStep whole = DispatchWholeFrames(codec, ref remaining, ref localDecoder, ref count, ref sink, out pending);
                    if (whole != InlineStep.NeedsDecoder)
                    {
                        return whole;
                    }
                }

                // One frame the general way: it straddles segments, is incomplete, or is invalid.
                if (localDecoder.Next(ref remaining, out TFrame next, ref outcome) != DecodeStatus.Frame)
                {
                    return InlineStep.Stop;
                }

                count++;
                if (_checkMessageSize && Application.Format.GetPayload(next).Length > _maxMessageSize)
                {
                    frame = next;
                    return InlineStep.NeedsAssembly;
                }

                // The handler's exception is caught here, in the run's own method, rather than in
                // the sink, which would then be a call per frame: a method that catches is not inlined.
                try
                {
                    if (!sink.TryAccept(next, out pending))
                    {
                        return InlineStep.Pending;
                    }
                }
                catch (Exception ex)
                {
                    sink.Fail(ex, next);
                    return InlineStep.Pending;
                }
            }

            return InlineStep.Stop;
        }
        finally
        {
            buffer = remaining;
            decoder = localDecoder;
            frames = count;
        }
    }

    /// <summary>
    /// Hands the frames already read to the frame handler, with the writer held by the caller's run,
    /// which this ends. A handler's exception ends the run with <paramref name="failure"/> and its
    /// <paramref name="frame"/>; <see cref="InlineStep.Pending"/> means the batch is full.
    /// </summary>
    private InlineStep RunFrameHandler(FrameHandler<TFrame> handler, ref ReadOnlySequence<byte> buffer, ref FrameDecoder<TFrame> decoder, ref long frames, ref DisconnectInfo? outcome, out TFrame frame, out Exception? failure)
    {
        var sink = new HandlerSink(this, handler);
        InlineStep step;
        try
        {
            Writer.StartFrameRun();
            step = DispatchAvailable(ref buffer, ref decoder, ref frames, ref outcome, ref sink, out frame, out _);
        }
        finally
        {
            Writer.ExitFrameRun();
        }

        failure = sink.Failure;
        if (failure is not null)
        {
            frame = sink.FailedFrame;
        }

        return step;
    }

    /// <summary>
    /// Dispatches the valid, whole frames at the start of the input's first segment, reading their
    /// prefixes from one span and making each frame from the segment directly, instead of slicing
    /// the input twice per frame; the input is sliced once, when the run ends.
    /// </summary>
    /// <returns>
    /// <see cref="InlineStep.Pending"/> with a request still running, <see cref="InlineStep.Stop"/>
    /// when the connection is stopping, or <see cref="InlineStep.NeedsDecoder"/> for the frame after the run.
    /// </returns>
    private InlineStep DispatchWholeFrames<TSink>(LengthDelimitedCodec codec, ref ReadOnlySequence<byte> remaining, ref FrameDecoder<TFrame> decoder, ref long count, ref TSink sink, out ValueTask pending)
        where TSink : struct, IFrameSink
    {
        pending = default;
        SequencePosition start = remaining.Start;
        if (start.GetObject() is not ReadOnlySequenceSegment<byte> segment)
        {
            return InlineStep.NeedsDecoder;
        }

        int segmentOffset = start.GetInteger();
        ReadOnlySpan<byte> span = remaining.FirstSpan;
        int consumed = 0;
        try
        {
            while (codec.TryFindWholeFrame(span[consumed..], out int prefixSize, out int payloadLength))
            {
                int payloadStart = segmentOffset + consumed + prefixSize;
                ReadOnlySequence<byte> frame = LengthDelimitedCodec.InSegment(segment, payloadStart, payloadLength);
                consumed += prefixSize + payloadLength;
                count++;
                decoder.WholeFrameFound();
                try
                {
                    if (!sink.TryAccept(Unsafe.As<ReadOnlySequence<byte>, TFrame>(ref frame), out pending))
                    {
                        return InlineStep.Pending;
                    }
                }
                catch (Exception ex)
                {
                    sink.Fail(ex, Unsafe.As<ReadOnlySequence<byte>, TFrame>(ref frame));
                    return InlineStep.Pending;
                }

                if (PendingStop is not null)
                {
                    return InlineStep.Stop;
                }
            }

            return InlineStep.NeedsDecoder;
        }
        finally
        {
            if (consumed != 0)
            {
                remaining = remaining.Slice(consumed);
            }
        }
    }

    /// <summary>Dispatches a frame; <see langword="false"/> with the request still running in <paramref name="pending"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool TryDispatchInline(TFrame frame, out ValueTask pending)
    {
        pending = DispatchAsync(frame);
        if (!pending.IsCompletedSuccessfully)
        {
            return false;
        }

        pending.GetAwaiter().GetResult();
        return true;
    }

    private ValueTask DispatchAsync(TFrame frame)
    {
        if (_frameHandler is { } handler)
        {
            return HandleFrameAsync(handler, frame);
        }

        RequestContext<TFrame> context = _requestContext ??= new RequestContext<TFrame>(this);
        context.Start(frame, Application.Format.GetMessageId(frame), Application.Format.GetCorrelationId(frame));
        ValueTask pending;
        try
        {
            WireframeApplication<TFrame> application = Application;
            pending = application.HasMiddleware ? application.Pipeline(context) : application.DispatchAsync(context);
        }
        catch (Exception ex)
        {
            return FailAndEndCommandAsync(context, ex);
        }

        if (pending.IsCompletedSuccessfully)
        {
            pending.GetAwaiter().GetResult();
            EndCommand(context);
            return default;
        }

        return AwaitDispatchAsync(pending, context);
    }

    /// <summary>Hands one frame to the frame handler, taking the writer for it alone (the general path: after inbound assembly).</summary>
    private ValueTask HandleFrameAsync(FrameHandler<TFrame> handler, TFrame frame) =>
        Writer.TryEnterFrameRun() ? HandleFrameHeld(handler, frame) : HandleFrameContendedAsync(handler, frame);

    private async ValueTask HandleFrameContendedAsync(FrameHandler<TFrame> handler, TFrame frame)
    {
        await Writer.EnterFrameRunAsync().ConfigureAwait(false);
        await HandleFrameHeld(handler, frame).ConfigureAwait(false);
    }

    /// <summary>Calls the frame handler with the writer held, gives the writer back, then answers a failure or flushes a full batch.</summary>
    private ValueTask HandleFrameHeld(FrameHandler<TFrame> handler, TFrame frame)
    {
        try
        {
            Writer.StartFrameRun();
            handler(frame, new FrameReply<TFrame>(this));
        }
        catch (Exception ex)
        {
            Writer.ExitFrameRun();
            return FailFrameAsync(frame, ex);
        }

        Writer.ExitFrameRun();
        return Writer.IsBatchFull ? FlushBatchAsync() : default;
    }

    private async ValueTask FlushBatchAsync() => await Writer.FlushAsync().ConfigureAwait(false);

    /// <summary>
    /// A frame handler threw: the failure is classified and answered as a failed request's, and the
    /// batch is flushed if what the handler sent before it threw filled it, as a success would.
    /// </summary>
    private async ValueTask FailFrameAsync(TFrame frame, Exception exception)
    {
        RequestContext<TFrame> context = _requestContext ??= new RequestContext<TFrame>(this);
        context.Start(frame, Application.Format.GetMessageId(frame), Application.Format.GetCorrelationId(frame));
        await FailAndEndCommandAsync(context, exception).ConfigureAwait(false);
        if (Writer.IsBatchFull)
        {
            await Writer.FlushAsync().ConfigureAwait(false);
        }
    }

    private async ValueTask AwaitDispatchAsync(ValueTask pending, RequestContext<TFrame> context)
    {
        try
        {
            await pending.ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            await FailRequestAsync(context, ex).ConfigureAwait(false);
        }
        finally
        {
            EndCommand(context);
        }
    }

    private async ValueTask FailAndEndCommandAsync(RequestContext<TFrame> context, Exception exception)
    {
        try
        {
            await FailRequestAsync(context, exception).ConfigureAwait(false);
        }
        finally
        {
            EndCommand(context);
        }
    }

    /// <summary>Runs the protocol's command-end hook and releases the request's frame.</summary>
    internal void EndCommand(RequestContext<TFrame> context)
    {
        if (_protocol is { } protocol)
        {
            RunCommandEndHook(protocol, context);
        }

        context.Finish();
    }

    // Kept apart so the hook-free path has no exception handling and stays inlinable.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void RunCommandEndHook(IWireframeProtocol<TFrame> protocol, RequestContext<TFrame> context)
    {
        try
        {
            protocol.OnCommandEnd(context);
        }
        catch (Exception ex)
        {
            RequestStop(HookFailed("command end", ex));
        }
    }

    private DisconnectInfo RunEofHook(IWireframeProtocol<TFrame> protocol, DisconnectInfo outcome, ReadOnlySequence<byte> partial)
    {
        try
        {
            protocol.OnEof(outcome.Eof ?? FrameEofKind.Clean, partial, this);
            return outcome;
        }
        catch (Exception ex)
        {
            return HookFailed("end of input", ex);
        }
    }

    /// <summary>Classifies a failed request and applies the policy; only the connection can be harmed, never the server.</summary>
    private async ValueTask FailRequestAsync(RequestContext<TFrame> context, Exception exception)
    {
        if (TransportErrors.IsTransportError(exception))
        {
            WireframeLog.TransportClosed(Application.Logger, Id.Value, exception.Message);
            RequestStop(new DisconnectInfo(DisconnectReason.TransportError, Exception: exception, Detail: exception.Message));
            return;
        }

        if (exception is MessageBodyException)
        {
            // The body broke off; reassembly already reported why and applied its policy.
            return;
        }

        if (exception is OperationCanceledException && PendingStop is not null)
        {
            // The handler honoured the closing token; the stop reason already says why.
            return;
        }

        if (exception is ProtocolHookException)
        {
            // The protocol's own hook failed on the way out, not the handler: the connection cannot go on safely.
            RequestStop(HookFailed("before send", exception));
            return;
        }

        bool protocolError = exception is WireframeProtocolException or MessageFormatException;
        if (protocolError)
        {
            Application.Metrics.Error(ErrorTypes.ProtocolError);
            WireframeLog.ProtocolError(Application.Logger, Id.Value, context.MessageId, exception.Message);
        }
        else
        {
            Application.Metrics.Error(ErrorTypes.HandlerException);
            bool close = Application.Options.HandlerExceptionPolicy == HandlerExceptionPolicy.CloseConnection;
            WireframeLog.HandlerFailed(Application.Logger, Id.Value, context.MessageId, close ? "closing the connection" : "failing the request", exception);
            if (close)
            {
                RequestStop(new DisconnectInfo(DisconnectReason.HandlerFailed, Exception: exception, Detail: $"The handler for message {context.MessageId} threw {exception.GetType().Name}: {exception.Message}"));
                return;
            }
        }

        if (protocolError && _protocol is { } protocol)
        {
            bool created;
            TFrame errorFrame;
            try
            {
                created = protocol.TryCreateErrorFrame(context, exception, out errorFrame);
            }
            catch (Exception hookException) when (!TransportErrors.IsTransportError(hookException))
            {
                RequestStop(HookFailed("error frame", hookException));
                return;
            }

            if (created)
            {
                try
                {
                    await Writer.WriteAsync(errorFrame).ConfigureAwait(false);
                }
                catch (ProtocolHookException hookException)
                {
                    RequestStop(HookFailed("before send", hookException));
                }

                return;
            }
        }

        if (Application.RequestErrorHook is { } hook)
        {
            try
            {
                await hook(context, exception).ConfigureAwait(false);
            }
            catch (Exception hookException) when (!TransportErrors.IsTransportError(hookException))
            {
                RequestStop(HookFailed("request error", hookException));
            }
        }
    }

    private async ValueTask RunDisconnectedHookAsync(DisconnectInfo outcome)
    {
        if (Application.DisconnectedHook is not { } hook)
        {
            return;
        }

        try
        {
            await hook(this, outcome).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            Application.Metrics.Error(ErrorTypes.HookException);
            WireframeLog.TeardownFailed(Application.Logger, Id.Value, ex);
        }
    }

    /// <summary>Starts the <see cref="WireframeOptions.ShutdownDrainTimeout"/> countdown once; it aborts the connection if it is still running at the end.</summary>
    private void ArmDrainDeadline()
    {
        if (Volatile.Read(ref _drainTimer) is not null)
        {
            return;
        }

        ITimer timer = Application.TimeProvider.CreateTimer(static state => ((WireframeConnection<TFrame>)state!).OnDrainTimeout(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        if (Interlocked.CompareExchange(ref _drainTimer, timer, null) is not null)
        {
            timer.Dispose();
            return;
        }

        timer.Change(Application.Options.ShutdownDrainTimeout, Timeout.InfiniteTimeSpan);
        if (Volatile.Read(ref _finished) != 0)
        {
            // The connection ended while the deadline was being armed.
            Interlocked.Exchange(ref _drainTimer, null)?.Dispose();
        }
    }

    private void OnDrainTimeout()
    {
        if (Volatile.Read(ref _finished) != 0)
        {
            return;
        }

        TimeSpan timeout = Application.Options.ShutdownDrainTimeout;
        WireframeLog.DrainTimeoutExpired(Application.Logger, Id.Value, timeout);
        Application.Metrics.Error(ErrorTypes.DrainTimeout);
        RequestStop(new DisconnectInfo(DisconnectReason.DrainTimeout, Detail: $"Still busy after {nameof(WireframeOptions)}.{nameof(WireframeOptions.ShutdownDrainTimeout)} ({timeout})."));
        Writer.Abort();
        string why = IsShuttingDown ? "The server is shutting down and the connection" : "The closing connection's last frames";
        _transport.Abort(new ConnectionAbortedException($"{why} did not finish within {nameof(WireframeOptions)}.{nameof(WireframeOptions.ShutdownDrainTimeout)} ({timeout})."));
    }
}
