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

    // Set for a call that records its own end (the untracked fast path); null otherwise.
    private WireframeClientMetrics? _metrics;
    private TimeProvider? _time;
    private long _started;
    // The outcome version whose reader still owes the caller's release; -1 once released.
    private int _releasableToken = -1;
    private ExecutionContext? _callerContext;
    private string? _endOutcome;
    private TimeSpan _endDuration;

    private TypedPendingCall()
    {
    }

    public override bool IsDone => Volatile.Read(ref _claimed) != 0;

    /// <summary>
    /// Gets the outcome, to be awaited exactly once; then the caller <see cref="Release"/>s the call,
    /// unless it <see cref="EndsItself"/>, in which case reading the outcome releases the caller's hold.
    /// </summary>
    public ValueTask<TResponse> Outcome => new(this, _outcome.Version);

    /// <summary>Takes a call from the pool (or makes one), held by the caller, the table and its completer.</summary>
    /// <param name="formatter">Reads the response; <see langword="null"/> when the response is the frame itself.</param>
    /// <param name="codec">The client's codec.</param>
    /// <param name="format">The client's envelope format.</param>
    /// <param name="inline">Whether the caller resumes on the thread that completes the call (<see cref="WireframeClientOptions.CompleteCallsInline"/>).</param>
    public static TypedPendingCall<TFrame, TResponse> Rent(IMessageFormatter<TResponse>? formatter, IFrameCodec<TFrame> codec, IEnvelopeFormat<TFrame> format, bool inline)
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
        call._metrics = null;
        call._time = null;
        call._outcome.RunContinuationsAsynchronously = !inline;
        Volatile.Write(ref call._claimed, 0);
        return call;
    }

    /// <summary>
    /// Makes the call record its end in <paramref name="metrics"/> when its outcome is set, and
    /// release the caller's hold when the caller reads the outcome: for a caller that awaits
    /// <see cref="Outcome"/> directly, with no state machine of its own around it.
    /// </summary>
    public void EndsItself(WireframeClientMetrics metrics, TimeProvider time, long started)
    {
        _metrics = metrics;
        _time = time;
        _started = started;
        _releasableToken = _outcome.Version;

        // The end is recorded by whoever sets the outcome; under the caller's context, as the start
        // was, so a listener reading Activity.Current (exemplars) sees the caller's trace.
        _callerContext = ExecutionContext.Capture();
    }

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
        if (_metrics is null)
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

    /// <summary>Records the end of a call that <see cref="EndsItself"/>, before its caller can resume.</summary>
    private void RecordEnd(Exception? error)
    {
        if (_metrics is null)
        {
            return;
        }

        string outcome = WireframeClientMetrics.OutcomeOf(error);
        TimeSpan duration = _time!.GetElapsedTime(_started);
        if (_callerContext is null || ReferenceEquals(_callerContext, ExecutionContext.Capture()))
        {
            _metrics.CallEnded(outcome, duration);
            return;
        }

        // Only the claim's winner records, so these fields have one writer.
        _endOutcome = outcome;
        _endDuration = duration;
        ExecutionContext.Run(_callerContext, static state =>
        {
            var call = (TypedPendingCall<TFrame, TResponse>)state!;
            call._metrics!.CallEnded(call._endOutcome!, call._endDuration);
        }, this);
    }

    private bool TryClaim() => Interlocked.CompareExchange(ref _claimed, 1, 0) == 0;
}
