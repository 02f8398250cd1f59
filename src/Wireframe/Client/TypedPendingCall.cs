using System.Buffers;
using System.Collections.Concurrent;
using System.Threading.Tasks.Sources;
using Wireframe.Framing;
using Wireframe.Messages;
using Wireframe.Serialization;

namespace Wireframe.Client;

/// <summary>
/// A call whose response is read as <typeparamref name="TResponse"/>: the frame itself (copied), or
/// its payload deserialized. Reused from a pool, so a call in steady state allocates nothing of its own.
/// </summary>
/// <remarks>
/// Three parties hold a call, and it goes back to the pool only when all three let go, because any
/// of them may still touch it after the caller has its outcome: the caller (until it has read the
/// outcome and dropped its cancellation registration), the client's table or FIFO line (until
/// whoever takes it out is done with it), and whoever completes it (until completing has returned).
/// Completion is claimed first, so only one of a response, a timeout, a cancellation or a lost
/// connection ever sets the outcome.
/// </remarks>
internal sealed class TypedPendingCall<TFrame, TResponse> : PendingCall<TFrame>, IValueTaskSource<TResponse>
{
    // Shared by every client of this frame and response type; enough for a few busy connections.
    private const int MaxPooled = 1024;
    private static readonly ConcurrentQueue<TypedPendingCall<TFrame, TResponse>> Pool = new();
    private static int s_pooled;

    private ManualResetValueTaskSourceCore<TResponse> _outcome = new() { RunContinuationsAsynchronously = false };
    private IMessageFormatter<TResponse>? _formatter;
    private IFrameCodec<TFrame> _codec = null!;
    private IEnvelopeFormat<TFrame> _format = null!;
    private int _claimed;
    private int _holders;

    // Every call records its own end, when its outcome is set, under its caller's context.
    private WireframeClientMetrics? _metrics;
    private TimeProvider? _time;
    private long _started;
    // The outcome version whose reader still owes the caller's release (a caller that awaits the
    // call directly); -1 when the caller releases it itself, or once released.
    private int _releasableToken = -1;
    private ExecutionContext? _callerContext;
    private Exception? _endError;

    private TypedPendingCall()
    {
    }

    public override bool IsDone => Volatile.Read(ref _claimed) != 0;

    /// <summary>
    /// Gets the outcome, to be awaited exactly once; then the caller <see cref="Release"/>s the call,
    /// unless it chose <see cref="ReleaseOnRead"/>, in which case reading the outcome releases the caller's hold.
    /// </summary>
    public ValueTask<TResponse> Outcome => new(this, _outcome.Version);

    /// <summary>Takes a call from the pool (or makes one), held by the caller, the table and its completer.</summary>
    /// <param name="formatter">Reads the response; <see langword="null"/> when the response is the frame itself.</param>
    /// <param name="codec">The client's codec.</param>
    /// <param name="format">The client's envelope format.</param>
    /// <param name="inline">Whether the caller resumes on the thread that completes the call (<see cref="WireframeClientOptions.CompleteCallsInline"/>).</param>
    /// <param name="metrics">Where the call records its end when its outcome is set.</param>
    /// <param name="time">The client's clock.</param>
    /// <param name="started">When the call started on that clock.</param>
    public static TypedPendingCall<TFrame, TResponse> Rent(
        IMessageFormatter<TResponse>? formatter, IFrameCodec<TFrame> codec, IEnvelopeFormat<TFrame> format, bool inline, WireframeClientMetrics metrics, TimeProvider time, long started)
    {
        if (Pool.TryDequeue(out TypedPendingCall<TFrame, TResponse>? call))
        {
            Interlocked.Decrement(ref s_pooled);
        }
        else
        {
            call = new TypedPendingCall<TFrame, TResponse>();
        }

        call._formatter = formatter;
        call._codec = codec;
        call._format = format;
        call.CorrelationId = 0;
        call.MessageId = 0;
        call.Deadline = 0;
        call._holders = 3;
        call._metrics = metrics;
        call._time = time;
        call._started = started;
        call._releasableToken = -1;

        // The end is recorded by whoever sets the outcome; under the caller's context, as the start
        // was, so a listener reading Activity.Current (exemplars) sees the caller's trace.
        call._callerContext = ExecutionContext.Capture();
        call._outcome.RunContinuationsAsynchronously = !inline;
        Volatile.Write(ref call._claimed, 0);
        return call;
    }

    /// <summary>
    /// Makes reading the outcome release the caller's hold: for a caller that awaits
    /// <see cref="Outcome"/> directly, with no state machine of its own around it.
    /// </summary>
    public void ReleaseOnRead() => _releasableToken = _outcome.Version;

    public override bool Receive(in TFrame frame, ReadOnlySequence<byte> raw)
    {
        if (!TryClaim())
        {
            return true;
        }

        TResponse response;
        try
        {
            response = ClientFrames.Read(frame, raw, _formatter, _codec, _format);
        }
        catch (Exception ex)
        {
            RecordEnd(ex);
            _outcome.SetException(ex);
            Release();
            return true;
        }

        // Recorded before the caller can resume (inline, right inside SetResult).
        RecordEnd(null);
        _outcome.SetResult(response);
        Release();
        return true;
    }

    public override void Fail(Exception exception)
    {
        if (TryClaim())
        {
            RecordEnd(exception);
            _outcome.SetException(exception);
            Release();
        }
    }

    public override void Unregistered() => Release();

    public override bool TryHold()
    {
        while (true)
        {
            int holders = Volatile.Read(ref _holders);
            if (holders == 0)
            {
                return false;
            }

            if (Interlocked.CompareExchange(ref _holders, holders + 1, holders) == holders)
            {
                return true;
            }
        }
    }

    public override void ReleaseHold() => Release();

    /// <summary>Lets go of one hold; the last one returns the call to the pool.</summary>
    public void Release()
    {
        if (Interlocked.Decrement(ref _holders) != 0)
        {
            return;
        }

        _outcome.Reset();
        _formatter = null;
        _metrics = null;
        _time = null;
        _callerContext = null;
        _endError = null;
        _codec = null!;
        _format = null!;
        if (Interlocked.Increment(ref s_pooled) <= MaxPooled)
        {
            Pool.Enqueue(this);
        }
        else
        {
            Interlocked.Decrement(ref s_pooled);
        }
    }

    TResponse IValueTaskSource<TResponse>.GetResult(short token)
    {
        if (Volatile.Read(ref _releasableToken) < 0)
        {
            return _outcome.GetResult(token);
        }

        // The caller's hold is let go once, in one atomic step that also checks the token: an outcome
        // read twice (a misuse), even by a reader that stalled while the call was reused, can neither
        // return the call to the pool while the receive loop holds it nor release a later caller's
        // hold. A stale token then throws here.
        bool release = Interlocked.CompareExchange(ref _releasableToken, -1, token) == token;
        try
        {
            return _outcome.GetResult(token);
        }
        finally
        {
            if (release)
            {
                Release();
            }
        }
    }

    ValueTaskSourceStatus IValueTaskSource<TResponse>.GetStatus(short token) => _outcome.GetStatus(token);

    void IValueTaskSource<TResponse>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _outcome.OnCompleted(continuation, state, token, flags);

    /// <summary>Records the call's end (once, by whoever claimed it), before its caller can resume.</summary>
    private void RecordEnd(Exception? error)
    {
        if (_callerContext is null || ReferenceEquals(_callerContext, ExecutionContext.Capture()))
        {
            RecordEndHere(error);
            return;
        }

        // Only the claim's winner records, so the field has one writer.
        _endError = error;
        ExecutionContext.Run(_callerContext, static state =>
        {
            var call = (TypedPendingCall<TFrame, TResponse>)state!;
            call.RecordEndHere(call._endError);
        }, this);
    }

    private void RecordEndHere(Exception? error) =>
        _metrics!.CallEnded(WireframeClientMetrics.OutcomeOf(error), _time!.GetElapsedTime(_started));

    private bool TryClaim() => Interlocked.CompareExchange(ref _claimed, 1, 0) == 0;
}
