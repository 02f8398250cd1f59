using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.IO.Pipelines;
using System.Text;
using System.Threading.Channels;
using Microsoft.Extensions.DependencyInjection;
using Wireframe.Connections;
using Wireframe.Messages;
using Wireframe.Outbound;
using Wireframe.Routing;
using Wireframe.Testing;
using Wireframe.Tests.Connections;

namespace Wireframe.Tests.Outbound;

/// <summary>A typed message for typed pushes (serialized by the application's JSON serializer).</summary>
public sealed record Notice(string Text, int Seq);

/// <summary>One connection as a push test sees it: its push handle and the connection itself.</summary>
internal sealed record PushSession(PushHandle<Envelope> Pushes, WireframeConnection<Envelope> Connection);

/// <summary>A frame as the before-send hook saw it (copied: the frame's memory is not ours to keep).</summary>
internal readonly record struct SeenFrame(uint MessageId, ulong? CorrelationId, string Text);

/// <summary>
/// Protocol hooks for push tests: hands each connection's push handle to the test as the
/// connection is set up, and records (and optionally rewrites) every frame the writer sends.
/// </summary>
internal sealed class PushProbe : IWireframeProtocol<Envelope>
{
    private readonly Channel<PushSession> _sessions = Channel.CreateUnbounded<PushSession>();
    private readonly ConcurrentQueue<SeenFrame> _seen = new();

    /// <summary>Gets or sets a callback run under the writer's lock before each frame is encoded; it may replace the frame.</summary>
    public Func<Envelope, Envelope>? BeforeSendHook { get; set; }

    public IReadOnlyList<SeenFrame> Seen => _seen.ToArray();

    public ValueTask OnConnectionSetupAsync(PushHandle<Envelope> pushes, WireframeConnection<Envelope> connection)
    {
        _sessions.Writer.TryWrite(new PushSession(pushes, connection));
        return ValueTask.CompletedTask;
    }

    public void BeforeSend(ref Envelope frame, WireframeConnection<Envelope> connection)
    {
        if (BeforeSendHook is { } hook)
        {
            frame = hook(frame);
        }

        _seen.Enqueue(new SeenFrame(frame.MessageId, frame.CorrelationId, Encoding.UTF8.GetString(frame.Payload)));
    }

    /// <summary>The next connection that was set up.</summary>
    public Task<PushSession> NextSessionAsync() => _sessions.Reader.ReadAsync().AsTask().WaitAsync(TestKit.Safety);
}

/// <summary>Helpers for push tests: frames, a paused transport, and ways to know where the writer is.</summary>
internal static class PushKit
{
    /// <summary>Bytes every <see cref="Push"/> frame's payload has: more than <see cref="PausedPipe"/>'s threshold.</summary>
    public const int PushPayloadLength = 100;

    /// <summary>A pipe pause threshold below one pushed frame and above one small request frame.</summary>
    public const int PauseThreshold = 64;

    /// <summary>
    /// Pipes whose writer waits as soon as one pushed frame is unread: with a client that does not
    /// read, the server's flush of the first pushed frame blocks, with the writer held, until the
    /// client reads. Small requests (under the threshold) still go through.
    /// </summary>
    public static PipeOptions PausedPipe => new(pauseWriterThreshold: PauseThreshold, resumeWriterThreshold: PauseThreshold, useSynchronizationContext: false);

    /// <summary>A frame with message id <paramref name="id"/> and a <see cref="PushPayloadLength"/>-byte payload starting with <paramref name="text"/>.</summary>
    public static Envelope Push(uint id, string? text = null)
    {
        string body = (text ?? $"push {id}").PadRight(PushPayloadLength, '.');
        return new Envelope(id, null, Encoding.UTF8.GetBytes(body).AsMemory());
    }

    /// <summary>The text a <see cref="Push"/> frame was made with.</summary>
    public static string PushText(this Envelope frame) => Encoding.UTF8.GetString(frame.Payload).TrimEnd('.');

    /// <summary>
    /// Waits until the server has flushed something to the client, without consuming it: with
    /// <see cref="PausedPipe"/>, the server's writer is then blocked in that flush until the client reads.
    /// </summary>
    public static async Task WaitForServerBytesAsync(this TestConnection<Envelope> client)
    {
        PipeReader fromServer = client.Context.Application.Input;
        ReadResult result = await fromServer.ReadAsync().AsTask().WaitAsync(TestKit.Safety);
        Assert.False(result.Buffer.IsEmpty, "The server closed instead of sending.");

        // Neither consumed nor examined: the next read returns the same bytes at once.
        fromServer.AdvanceTo(result.Buffer.Start);
    }

    /// <summary>Reads <paramref name="count"/> frames.</summary>
    public static async Task<List<Envelope>> ReadFramesAsync(this TestConnection<Envelope> client, int count)
    {
        var frames = new List<Envelope>(count);
        for (int i = 0; i < count; i++)
        {
            frames.Add(await client.ReadFrameAsync().AsTask().WaitAsync(TestKit.Safety));
        }

        return frames;
    }

    /// <summary>Whether somebody (a response, a flush, the final completion) waits for the writer behind its holder.</summary>
    private static bool WriterHasWaiters(WireframeConnection<Envelope> connection) =>
        connection.Writer.HasWaiters;

    /// <summary>
    /// Waits until somebody queues for the connection's writer behind a holder that is stuck. There is
    /// no event for this moment, so this spins on the writer's state (bounded by the safety timeout),
    /// never on the clock; it only orders the test's next step after the server's.
    /// </summary>
    public static void WaitForWriterWaiter(WireframeConnection<Envelope> connection) =>
        Assert.True(SpinWait.SpinUntil(() => WriterHasWaiters(connection), TestKit.Safety), "Nobody ever queued for the writer.");

    /// <summary>An application with JSON messages and a <see cref="PushProbe"/> as its protocol.</summary>
    public static WireframeAppBuilder<Envelope> CreateApp(out PushProbe probe, Action<WireframeOptions>? configure = null)
    {
        probe = new PushProbe();
        var app = WireframeApp.CreateBuilder().UseJson().WithProtocol(probe);
        if (configure is not null)
        {
            app.Configure(configure);
        }

        return app;
    }
}

/// <summary>Reads the <c>wireframe.server.push_queue.depth</c> gauge of one host's meter.</summary>
internal sealed class QueueDepthGauge : IDisposable
{
    private const string Instrument = "wireframe.server.push_queue.depth";
    private readonly MeterListener _listener = new();
    private readonly Lock _sync = new();
    private long? _observed;

    public QueueDepthGauge(IServiceProvider services)
    {
        IMeterFactory scope = services.GetRequiredService<IMeterFactory>();
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Name == Instrument && ReferenceEquals(instrument.Meter.Scope, scope))
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((_, value, _, _) =>
        {
            lock (_sync)
            {
                _observed = value;
            }
        });
        _listener.Start();
    }

    /// <summary>Observes the gauge now.</summary>
    public long Read()
    {
        lock (_sync)
        {
            _observed = null;
            _listener.RecordObservableInstruments();
            return _observed ?? throw new InvalidOperationException($"{Instrument} was not observed.");
        }
    }

    public void Dispose() => _listener.Dispose();
}

/// <summary>
/// A manual clock that also tells the test when a timer is armed (created or changed with a finite
/// due time), so a test can advance the clock exactly after the server started waiting on it.
/// </summary>
internal sealed class ArmTrackingClock : TimeProvider
{
    private readonly ManualTimeProvider _inner = new();
    private readonly Lock _sync = new();
    private readonly Dictionary<TimeSpan, int> _arms = [];
    private readonly List<(TimeSpan Due, int Occurrence, TaskCompletionSource Done)> _waiters = [];

    public override long TimestampFrequency => _inner.TimestampFrequency;

    public override long GetTimestamp() => _inner.GetTimestamp();

    public override DateTimeOffset GetUtcNow() => _inner.GetUtcNow();

    public void Advance(TimeSpan delta) => _inner.Advance(delta);

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = new TrackedTimer(this, _inner.CreateTimer(callback, state, dueTime, period));
        OnArmed(dueTime);
        return timer;
    }

    /// <summary>Completes when a timer has been armed with <paramref name="dueTime"/> for the <paramref name="occurrence"/>th time.</summary>
    public Task ArmedAsync(TimeSpan dueTime, int occurrence = 1)
    {
        lock (_sync)
        {
            if (_arms.GetValueOrDefault(dueTime) >= occurrence)
            {
                return Task.CompletedTask;
            }

            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((dueTime, occurrence, done));
            return done.Task.WaitAsync(TestKit.Safety);
        }
    }

    private void OnArmed(TimeSpan dueTime)
    {
        if (dueTime == Timeout.InfiniteTimeSpan)
        {
            return;
        }

        List<TaskCompletionSource> ready = [];
        lock (_sync)
        {
            int count = _arms[dueTime] = _arms.GetValueOrDefault(dueTime) + 1;
            for (int i = _waiters.Count - 1; i >= 0; i--)
            {
                if (_waiters[i].Due == dueTime && _waiters[i].Occurrence <= count)
                {
                    ready.Add(_waiters[i].Done);
                    _waiters.RemoveAt(i);
                }
            }
        }

        ready.ForEach(done => done.TrySetResult());
    }

    private sealed class TrackedTimer(ArmTrackingClock owner, ITimer inner) : ITimer
    {
        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            bool changed = inner.Change(dueTime, period);
            if (changed)
            {
                owner.OnArmed(dueTime);
            }

            return changed;
        }

        public void Dispose() => inner.Dispose();

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }
}
