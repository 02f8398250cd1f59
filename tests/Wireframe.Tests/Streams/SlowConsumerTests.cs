using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using Wireframe.Connections;
using Wireframe.Messages;
using Wireframe.Outbound;
using Wireframe.Routing;
using Wireframe.Tests.Connections;
using Wireframe.Tests.Support;
using static Wireframe.Tests.Connections.TestKit;
using static Wireframe.Tests.Streams.StreamKit;

namespace Wireframe.Tests.Streams;

public sealed class SlowConsumerTests
{
    private const int ChunkSize = 1024;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    /// <summary>A producer that counts what it made and notes when its token fires.</summary>
    private sealed class Producer
    {
        private int _produced;

        public int Produced => Volatile.Read(ref _produced);

        public TaskCompletionSource Cancelled { get; } = NewSignal();

        public async IAsyncEnumerable<byte[]> ChunksAsync(uint count, [EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            using CancellationTokenRegistration registration = cancellationToken.Register(() => Cancelled.TrySetResult());
            for (uint i = 0; i < count; i++)
            {
                if (i % 8 == 7)
                {
                    await Task.Yield();
                }

                Interlocked.Increment(ref _produced);
                byte[] chunk = new byte[ChunkSize];
                chunk[0] = (byte)i;
                yield return chunk;
            }
        }
    }

    private static WireframeAppBuilder<Envelope> App(Producer producer, TimeSpan? slowConsumerTimeout)
    {
        var app = WireframeApp.CreateBuilder().Configure(o => o.SlowConsumerTimeout = slowConsumerTimeout);
        app.RouteStream<Query, byte[]>(QueryId, (query, ctx) => producer.ChunksAsync(query.Count, ctx.RequestAborted));
        app.Route<byte[], byte[]>(1, (request, _) => request);
        return app;
    }

    [Fact]
    public async Task A_client_that_stops_reading_mid_stream_is_evicted_after_SlowConsumerTimeout_and_the_producer_is_cancelled()
    {
        var producer = new Producer();
        var clock = new ObservedClock();
        using var logs = new LogCapture();
        await using var host = Host(App(producer, Timeout), logs, clock);
        using var metrics = new MetricRecorder(host.Services);
        await using var client = host.Connect(TinyPipes());

        await client.SendAsync(QueryId, new Query(1_000_000), correlationId: 1);

        // The client reads nothing: the writer's flush waits, which starts the slow-consumer clock.
        Assert.Equal(Timeout, await clock.Armed.Within());
        clock.Advance(Timeout - TimeSpan.FromTicks(1));
        Assert.Empty(logs.Wireframe(403));
        Assert.False(producer.Cancelled.Task.IsCompleted);

        clock.Advance(TimeSpan.FromTicks(1));

        await producer.Cancelled.Task.Within();
        DisconnectInfo info = await client.ClosedAsync();
        Assert.Equal(DisconnectReason.SlowConsumer, info.Reason);
        Assert.Contains("SlowConsumerTimeout", info.Detail, StringComparison.Ordinal);
        Assert.NotNull(client.Context.AbortReason);
        CapturedLog log = Assert.Single(logs.Wireframe(403));
        Assert.Equal(LogLevel.Warning, log.Level);
        Assert.Contains("SlowConsumerTimeout", log.Message, StringComparison.Ordinal);
        Assert.Equal(1, metrics.Sum(Errors, ErrorType, "slow_consumer"));
        Assert.Equal(1, metrics.Sum(Terminations, StreamEnd, StreamEnds.Disconnected));
        Assert.Single(metrics.All("wireframe.server.connection.duration"), m => m.Tags.Any(t => t.Key == "wireframe.close_reason" && Equals(t.Value, "slow_consumer")));
    }

    [Fact]
    public async Task A_client_that_catches_up_before_SlowConsumerTimeout_is_kept()
    {
        const uint Count = 300;
        var producer = new Producer();
        var clock = new ObservedClock();
        using var logs = new LogCapture();
        await using var host = Host(App(producer, Timeout), logs, clock);
        await using var client = host.Connect(TinyPipes());

        await client.SendAsync(QueryId, new Query(Count), correlationId: 1);
        await clock.Armed.Within();
        clock.Advance(Timeout - TimeSpan.FromTicks(1));

        // Reading unblocks the writer; a later wait starts the clock again from zero.
        for (uint i = 0; i < Count; i++)
        {
            Envelope frame = await client.NextFrameAsync();
            Assert.Equal(((ulong?)1, (byte)i), (frame.CorrelationId, frame.Payload.FirstSpan[0]));
        }

        // A round trip first: once its answer is here, the stream's last flush has finished waiting.
        await client.SendFrameAsync(Frame(1, "caught up", 2));
        Assert.Equal("caught up", (await client.NextFrameAsync()).Text());
        clock.Advance(TimeSpan.FromHours(1));
        await client.SendFrameAsync(Frame(1, "still here", 3));
        Assert.Equal("still here", (await client.NextFrameAsync()).Text());
        await client.AssertNothingMoreThenCleanCloseAsync();
        Assert.Empty(logs.Wireframe(403));
    }

    [Fact]
    public async Task Without_SlowConsumerTimeout_a_client_that_stops_reading_is_never_evicted_and_the_producer_is_held_back()
    {
        const uint Count = 10_000;
        var producer = new Producer();
        var clock = new ObservedClock();
        using var logs = new LogCapture();
        await using var host = Host(App(producer, slowConsumerTimeout: null), logs, clock);
        using var metrics = new MetricRecorder(host.Services);
        await using var client = new WatchedClient(host, TinyPipes());

        await client.SendAsync(QueryId, new Query(Count), correlationId: 1);

        // The client reads nothing. Once the writer waits, the stream is not advanced any more.
        await client.FlushBlocked.Within();
        // At most one chunk more than was sent: the one a MoveNextAsync already in flight makes.
        int sent = await client.CountUnreadFramesAsync();
        Assert.True(producer.Produced <= sent + 1, $"{producer.Produced} chunks were produced for a client that read none; {sent} were sent.");
        Assert.True(sent * ChunkSize < 256 * 1024, $"{sent} KiB were written for a client that reads nothing.");

        clock.Advance(TimeSpan.FromHours(1));
        Assert.Equal(0, clock.PendingTimers);
        Assert.True(producer.Produced <= sent + 1, $"{producer.Produced} chunks were produced for a client that read none; {sent} were sent.");
        Assert.False(client.Closed.IsCompleted);
        Assert.Empty(logs.Wireframe(403));
        Assert.Equal(0, metrics.Sum(Errors, ErrorType, "slow_consumer"));

        // The client comes back and gets everything, in order.
        for (uint i = 0; i < Count; i++)
        {
            Envelope frame = await client.ReadFrameAsync();
            Assert.Equal(((ulong?)1, (byte)i), (frame.CorrelationId, frame.Payload.FirstSpan[0]));
        }

        Assert.Equal((int)Count, producer.Produced);
        Assert.False(producer.Cancelled.Task.IsCompleted);
        await client.CompleteAsync();
        DisconnectInfo info = await client.Closed.Within();
        Assert.True(info.Reason == DisconnectReason.PeerClosed, info.ToString());
    }
}
