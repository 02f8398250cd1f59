using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Wireframe.Connections;
using Wireframe.Messages;
using Wireframe.Outbound;
using Wireframe.Routing;
using Wireframe.Serialization;
using Wireframe.Testing;
using Wireframe.Tests.Connections;
using Wireframe.Tests.Support;
using static Wireframe.Tests.Connections.TestKit;
using static Wireframe.Tests.Streams.StreamKit;

namespace Wireframe.Tests.Streams;

public sealed class StreamResponseTests
{
    private const uint EchoId = 1;

    /// <summary>Rows 0..count-1; every other row makes MoveNextAsync complete asynchronously.</summary>
    private static async IAsyncEnumerable<Row> Rows(uint count, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        for (uint i = 0; i < count; i++)
        {
            if (i % 2 == 1)
            {
                await Task.Yield();
            }

            cancellationToken.ThrowIfCancellationRequested();
            yield return new Row(i);
        }
    }

    /// <summary>Rows 0..before-1, then <paramref name="error"/>.</summary>
    private static async IAsyncEnumerable<Row> FailingRows(uint before, Exception error)
    {
        for (uint i = 0; i < before; i++)
        {
            await Task.Yield();
            yield return new Row(i);
        }

        throw error;
    }

    /// <summary>Row 0, then waits until the token fires (a subscription with nothing new to say).</summary>
    private static async IAsyncEnumerable<Row> RowThenIdle(TaskCompletionSource cancelled, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        yield return new Row(0);
        await WaitForCancellationAsync(cancelled, cancellationToken);
        yield return new Row(1);
    }

    private static async Task WaitForCancellationAsync(TaskCompletionSource cancelled, CancellationToken cancellationToken)
    {
        var fired = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using (cancellationToken.Register(() => fired.TrySetResult()))
        {
            await fired.Task;
        }

        cancelled.TrySetResult();
        cancellationToken.ThrowIfCancellationRequested();
    }

    private static WireframeAppBuilder<Envelope> App(RecordingProtocol protocol) =>
        WireframeApp.CreateBuilder().WithProtocol(protocol).MapMessageId<Row>(RowId);

    private static async Task AssertRowsAsync(WireframeTestHost<Envelope> host, TestConnection<Envelope> client, ulong correlationId, uint count)
    {
        for (uint i = 0; i < count; i++)
        {
            Envelope frame = await client.NextFrameAsync();
            Assert.Equal((RowId, (ulong?)correlationId, new Row(i)), (frame.MessageId, frame.CorrelationId, host.ReadRow(frame)));
        }
    }

    private static async Task AssertTerminatorAsync(TestConnection<Envelope> client, ulong correlationId)
    {
        Envelope end = await client.NextFrameAsync();
        Assert.Equal((RecordingProtocol.TerminatorId, (ulong?)correlationId, 0L), (end.MessageId, end.CorrelationId, end.Payload.Length));
    }

    [Fact]
    public async Task Each_item_is_its_own_frame_with_the_requests_correlation_id_and_the_terminator_follows_a_natural_end()
    {
        var protocol = new RecordingProtocol();
        WireframeAppBuilder<Envelope> app = App(protocol);
        app.RouteStream<Query, Row>(QueryId, (query, ctx) => Rows(query.Count, ctx.RequestAborted));
        using var logs = new LogCapture();
        await using var host = Host(app, logs);
        using var metrics = new MetricRecorder(host.Services);
        await using var client = host.Connect();

        await client.SendAsync(QueryId, new Query(5), correlationId: 42);

        await AssertRowsAsync(host, client, 42, 5);
        await AssertTerminatorAsync(client, 42);
        await client.AssertNothingMoreThenCleanCloseAsync();
        Assert.Equal([(ulong?)42], protocol.TerminatorRequests);
        Assert.Equal(1, metrics.Sum(Terminations, StreamEnd, StreamEnds.Completed));
        Assert.Equal(1, metrics.Sum(Terminations));
        CapturedLog log = Assert.Single(logs.Wireframe(402));
        Assert.Equal((Microsoft.Extensions.Logging.LogLevel.Debug, StreamEnds.Completed, (object?)QueryId), (log.Level, log["How"], log["MessageId"]));
    }

    [Fact]
    public async Task A_stream_item_type_without_a_mapped_id_carries_the_requests_message_id()
    {
        var protocol = new RecordingProtocol();
        var app = WireframeApp.CreateBuilder().WithProtocol(protocol);
        app.RouteStream<Query, Row>(QueryId, (query, ctx) => Rows(query.Count, ctx.RequestAborted));
        await using var host = WireframeTest.CreateHost(app);
        await using var client = host.Connect();

        await client.SendAsync(QueryId, new Query(2), correlationId: 3);

        for (uint i = 0; i < 2; i++)
        {
            Envelope frame = await client.NextFrameAsync();
            Assert.Equal((QueryId, (ulong?)3, new Row(i)), (frame.MessageId, frame.CorrelationId, host.ReadRow(frame)));
        }

        await AssertTerminatorAsync(client, 3);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task An_empty_stream_sends_only_the_terminator(bool routeMany)
    {
        var protocol = new RecordingProtocol();
        WireframeAppBuilder<Envelope> app = App(protocol);
        if (routeMany)
        {
            app.RouteMany<Query, Row>(QueryId, (_, _) => []);
        }
        else
        {
            app.RouteStream<Query, Row>(QueryId, (query, ctx) => Rows(query.Count, ctx.RequestAborted));
        }

        await using var host = WireframeTest.CreateHost(app);
        using var metrics = new MetricRecorder(host.Services);
        await using var client = host.Connect();

        await client.SendAsync(QueryId, new Query(0), correlationId: 9);

        await AssertTerminatorAsync(client, 9);
        await client.AssertNothingMoreThenCleanCloseAsync();
        Assert.Equal(1, metrics.Sum(Terminations, StreamEnd, StreamEnds.Completed));
    }

    [Fact]
    public async Task Without_a_terminator_an_empty_stream_sends_nothing_and_the_next_request_is_answered()
    {
        var protocol = new RecordingProtocol { Terminate = false };
        WireframeAppBuilder<Envelope> app = App(protocol);
        app.RouteStream<Query, Row>(QueryId, (query, ctx) => Rows(query.Count, ctx.RequestAborted));
        app.Route<byte[], byte[]>(EchoId, (request, _) => request);
        await using var host = WireframeTest.CreateHost(app);
        await using var client = host.Connect();

        await client.SendAsync(QueryId, new Query(0), correlationId: 1);
        await client.SendFrameAsync(Frame(EchoId, "next", 2));

        Envelope echo = await client.NextFrameAsync();
        Assert.Equal((EchoId, (ulong?)2, "next"), (echo.MessageId, echo.CorrelationId, echo.Text()));
        await client.AssertNothingMoreThenCleanCloseAsync();
        Assert.Equal([(ulong?)1], protocol.TerminatorRequests);
    }

    [Fact]
    public async Task RouteMany_sends_each_response_in_order_with_the_correlation_id_then_the_terminator()
    {
        var protocol = new RecordingProtocol();
        var app = WireframeApp.CreateBuilder().WithProtocol(protocol);
        app.RouteMany<byte[], byte[]>(11, (request, _) => [Utf8("first"), request, Utf8("last")]);
        using var logs = new LogCapture();
        await using var host = Host(app, logs);
        await using var client = host.Connect();

        await client.SendFrameAsync(Frame(11, "middle", 7));

        foreach (string expected in new[] { "first", "middle", "last" })
        {
            Envelope frame = await client.NextFrameAsync();
            Assert.Equal((11u, (ulong?)7, expected), (frame.MessageId, frame.CorrelationId, frame.Text()));
        }

        await AssertTerminatorAsync(client, 7);
        await client.AssertNothingMoreThenCleanCloseAsync();
        Assert.Equal([StreamEnds.Completed], logs.StreamEndsLogged());
    }

    [Fact]
    public async Task Several_ReplyAsync_calls_each_send_a_frame_with_the_correlation_id_and_no_terminator()
    {
        var protocol = new RecordingProtocol();
        WireframeAppBuilder<Envelope> app = App(protocol);
        app.Route<Query, byte[]?>(QueryId, async (query, ctx) =>
        {
            var typed = (RequestContext<Envelope>)ctx;
            for (uint i = 0; i < query.Count; i++)
            {
                Assert.True(await typed.ReplyAsync(new Row(i)));
            }

            return null;
        });
        await using var host = WireframeTest.CreateHost(app);
        await using var client = host.Connect();

        await client.SendAsync(QueryId, new Query(3), correlationId: 12);

        await AssertRowsAsync(host, client, 12, 3);
        await client.AssertNothingMoreThenCleanCloseAsync();
        Assert.Empty(protocol.TerminatorRequests);
    }

    [Fact]
    public async Task A_bounded_channel_fed_by_another_task_holds_its_producer_back_while_the_client_reads_nothing_then_delivers_everything_in_order()
    {
        const uint Total = 5_000;
        const int Capacity = 8;
        var protocol = new RecordingProtocol();
        var channel = NewSignal<Channel<Row>>();
        var producer = NewSignal<Task>();
        var waits = Channel.CreateUnbounded<uint>();
        int produced = 0;
        WireframeAppBuilder<Envelope> app = App(protocol).Configure(o => o.MaxUnflushedBytes = 1024);
        app.RouteStream<Query, Row>(QueryId, (query, ctx) =>
        {
            var rows = Channel.CreateBounded<Row>(Capacity);
            channel.TrySetResult(rows);
            producer.TrySetResult(ProduceAsync(rows.Writer, query.Count, ctx.RequestAborted));
            return rows.Reader.ReadAllAsync(ctx.RequestAborted);
        });

        async Task ProduceAsync(ChannelWriter<Row> writer, uint count, CancellationToken cancellationToken)
        {
            try
            {
                for (uint i = 0; i < count; i++)
                {
                    ValueTask write = writer.WriteAsync(new Row(i), cancellationToken);
                    if (!write.IsCompleted)
                    {
                        // The channel is full: the producer waits for the stream to take an item.
                        waits.Writer.TryWrite(i);
                    }

                    await write;
                    Interlocked.Increment(ref produced);
                }
            }
            finally
            {
                writer.TryComplete();
            }
        }

        await using var host = WireframeTest.CreateHost(app);
        await using var client = new WatchedClient(host, TinyPipes(4096));
        await client.SendAsync(QueryId, new Query(Total), correlationId: 1);

        // The client reads nothing: once the pipe is full the server's writer waits...
        await client.FlushBlocked.Within();
        Channel<Row> rows = await channel.Task.Within();

        // ...the channel fills up behind it, and the producer waits for room.
        for (uint i = 0; i < Total && rows.Reader.Count < Capacity; i++)
        {
            await waits.Reader.ReadAsync().AsTask().Within();
        }

        // What the producer made is what was sent, what fills the channel, and at most the one item a
        // MoveNextAsync already in flight took when the writer started waiting.
        Assert.Equal(Capacity, rows.Reader.Count);
        int sent = await client.CountUnreadFramesAsync();
        int ahead = Volatile.Read(ref produced);
        Assert.True(ahead <= sent + Capacity + 1, $"The producer ran {ahead} items ahead of a client that read none ({sent} frames sent, channel capacity {Capacity}).");

        for (uint i = 0; i < Total; i++)
        {
            Envelope frame = await client.ReadFrameAsync();
            Assert.Equal((RowId, (ulong?)1, new Row(i)), (frame.MessageId, frame.CorrelationId, host.ReadRow(frame)));
        }

        Envelope end = await client.ReadFrameAsync();
        Assert.Equal((RecordingProtocol.TerminatorId, (ulong?)1), (end.MessageId, end.CorrelationId));
        await (await producer.Task.Within()).Within();
        Assert.Equal((int)Total, Volatile.Read(ref produced));
        await client.CompleteAsync();
        Assert.Equal(DisconnectReason.PeerClosed, (await client.Closed.Within()).Reason);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_protocol_error_mid_stream_sends_an_error_frame_instead_of_the_terminator_and_the_connection_goes_on(bool unreadable)
    {
        Exception error = unreadable ? new MessageFormatException("row 2 cannot be read") : new WireframeProtocolException("row 2 is gone");
        var protocol = new RecordingProtocol();
        WireframeAppBuilder<Envelope> app = App(protocol);
        app.RouteStream<Query, Row>(QueryId, (query, _) => FailingRows(query.Count, error));
        app.Route<byte[], byte[]>(EchoId, (request, _) => request);
        using var logs = new LogCapture();
        await using var host = Host(app, logs);
        using var metrics = new MetricRecorder(host.Services);
        await using var client = host.Connect();

        await client.SendAsync(QueryId, new Query(2), correlationId: 5);
        await client.SendFrameAsync(Frame(EchoId, "still here", 6));

        await AssertRowsAsync(host, client, 5, 2);
        Envelope failure = await client.NextFrameAsync();
        Assert.Equal((RecordingProtocol.ErrorId, (ulong?)5, error.Message), (failure.MessageId, failure.CorrelationId, failure.Text()));
        Envelope echo = await client.NextFrameAsync();
        Assert.Equal((EchoId, (ulong?)6, "still here"), (echo.MessageId, echo.CorrelationId, echo.Text()));
        await client.AssertNothingMoreThenCleanCloseAsync();

        Assert.Same(error, Assert.Single(protocol.ErrorFrameRequests).Exception);
        Assert.Empty(protocol.TerminatorRequests);
        Assert.Equal([(QueryId, (ulong?)5), (EchoId, (ulong?)6)], protocol.CommandEnds);
        Assert.Equal(1, metrics.Sum(Terminations, StreamEnd, StreamEnds.Error));
        Assert.Equal(1, metrics.Sum(Terminations));
        Assert.Equal(1, metrics.Sum(Errors, ErrorType, "protocol_error"));
        Assert.Equal([StreamEnds.Error], logs.StreamEndsLogged());
    }

    [Theory]
    [InlineData(HandlerExceptionPolicy.CloseConnection)]
    [InlineData(HandlerExceptionPolicy.FailRequest)]
    public async Task A_bug_mid_stream_follows_the_handler_exception_policy_with_neither_error_frame_nor_terminator(HandlerExceptionPolicy policy)
    {
        var bug = new InvalidOperationException("cursor corrupted");
        var requestErrors = new ConcurrentQueue<Exception>();
        var protocol = new RecordingProtocol();
        WireframeAppBuilder<Envelope> app = App(protocol)
            .Configure(o => o.HandlerExceptionPolicy = policy)
            .OnRequestError((_, ex) =>
            {
                requestErrors.Enqueue(ex);
                return ValueTask.CompletedTask;
            });
        app.RouteStream<Query, Row>(QueryId, (query, _) => FailingRows(query.Count, bug));
        app.Route<byte[], byte[]>(EchoId, (request, _) => request);
        await using var host = WireframeTest.CreateHost(app);
        using var metrics = new MetricRecorder(host.Services);
        await using var client = host.Connect();

        await client.SendAsync(QueryId, new Query(1), correlationId: 5);
        await client.SendFrameAsync(Frame(EchoId, "after", 6));

        await AssertRowsAsync(host, client, 5, 1);
        if (policy == HandlerExceptionPolicy.CloseConnection)
        {
            DisconnectInfo info = await client.ClosedAsync();
            Assert.Equal(DisconnectReason.HandlerFailed, info.Reason);
            Assert.Empty(await client.ReadToEndAsync().Within());
            Assert.Empty(requestErrors);
        }
        else
        {
            Envelope echo = await client.NextFrameAsync();
            Assert.Equal(((ulong?)6, "after"), (echo.CorrelationId, echo.Text()));
            await client.AssertNothingMoreThenCleanCloseAsync();
            Assert.Same(bug, Assert.Single(requestErrors));
        }

        Assert.Empty(protocol.ErrorFrameRequests);
        Assert.Empty(protocol.TerminatorRequests);
        Assert.Equal(1, metrics.Sum(Terminations, StreamEnd, StreamEnds.Error));
        Assert.Equal(1, metrics.Sum(Errors, ErrorType, "handler_exception"));
    }

    /// <summary>A stream type that is not itself generic: easy to route with <c>Route</c> by mistake.</summary>
    private sealed class RowStream(uint count) : IAsyncEnumerable<Row>
    {
        public IAsyncEnumerator<Row> GetAsyncEnumerator(CancellationToken cancellationToken = default) => Rows(count, cancellationToken).GetAsyncEnumerator(cancellationToken);
    }

    [Theory]
    [InlineData("sync")]
    [InlineData("async")]
    [InlineData("interface")]
    public void A_stream_returned_through_Route_is_refused_at_Build_with_an_error_naming_RouteStream(string shape)
    {
        var app = WireframeApp.CreateBuilder();
        _ = shape switch
        {
            "sync" => app.Route<Query, RowStream>(QueryId, (query, _) => new RowStream(query.Count)),
            "async" => app.Route<Query, RowStream>(QueryId, (query, _) => ValueTask.FromResult(new RowStream(query.Count))),
            _ => app.Route<Query, IAsyncEnumerable<Row>>(QueryId, (query, ctx) => Rows(query.Count, ctx.RequestAborted)),
        };

        InvalidOperationException error = Assert.Throws<InvalidOperationException>(() => app.Build());
        Assert.Contains($"Message id {QueryId}", error.Message, StringComparison.Ordinal);
        Assert.Contains("RouteStream", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_same_stream_type_routed_with_RouteStream_is_streamed()
    {
        var protocol = new RecordingProtocol();
        WireframeAppBuilder<Envelope> app = App(protocol);
        app.RouteStream<Query, Row>(QueryId, (query, _) => new RowStream(query.Count));
        await using var host = WireframeTest.CreateHost(app);
        await using var client = host.Connect();

        await client.SendAsync(QueryId, new Query(3), correlationId: 4);

        await AssertRowsAsync(host, client, 4, 3);
        await AssertTerminatorAsync(client, 4);
    }

    /// <summary>A stream whose enumerator cannot be created the first time (a cursor that fails to open).</summary>
    private sealed class FlakyStream(Func<bool> fail, uint count) : IAsyncEnumerable<Row>
    {
        public IAsyncEnumerator<Row> GetAsyncEnumerator(CancellationToken cancellationToken = default) =>
            fail() ? throw new WireframeProtocolException("no cursor") : Rows(count, cancellationToken).GetAsyncEnumerator(cancellationToken);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    public async Task A_stream_whose_enumerator_cannot_be_created_fails_its_request_and_later_streams_still_run(int concurrency)
    {
        int calls = 0;
        var protocol = new RecordingProtocol();
        WireframeAppBuilder<Envelope> app = App(protocol).Configure(o => o.MaxConcurrentRequestsPerConnection = concurrency);
        app.RouteStream<Query, Row>(QueryId, (query, _) => new FlakyStream(() => Interlocked.Increment(ref calls) == 1, query.Count));
        using var logs = new LogCapture();
        await using var host = Host(app, logs);
        using var metrics = new MetricRecorder(host.Services);
        await using var client = host.Connect();

        await client.SendAsync(QueryId, new Query(2), correlationId: 1);
        Envelope failure = await client.NextFrameAsync();
        Assert.Equal((RecordingProtocol.ErrorId, (ulong?)1, "no cursor"), (failure.MessageId, failure.CorrelationId, failure.Text()));

        for (ulong correlationId = 2; correlationId <= 3; correlationId++)
        {
            await client.SendAsync(QueryId, new Query(2), correlationId);
            await AssertRowsAsync(host, client, correlationId, 2);
            await AssertTerminatorAsync(client, correlationId);
        }

        await client.AssertNothingMoreThenCleanCloseAsync();
        Assert.Equal(1, metrics.Sum(Terminations, StreamEnd, StreamEnds.Error));
        Assert.Equal(2, metrics.Sum(Terminations, StreamEnd, StreamEnds.Completed));
    }

    [Fact]
    public async Task A_client_that_disconnects_mid_stream_ends_it_as_disconnected_cancels_the_producer_and_gets_no_terminator()
    {
        var protocol = new RecordingProtocol();
        var rows = Channel.CreateUnbounded<Row>();
        var producerCancelled = NewSignal();
        WireframeAppBuilder<Envelope> app = App(protocol);
        app.RouteStream<Query, Row>(QueryId, (_, ctx) =>
        {
            ctx.RequestAborted.Register(() => producerCancelled.TrySetResult());
            return rows.Reader.ReadAllAsync(ctx.RequestAborted);
        });
        using var logs = new LogCapture();
        await using var host = Host(app, logs);
        using var metrics = new MetricRecorder(host.Services);
        TestConnection<Envelope> client = host.Connect();

        await client.SendAsync(QueryId, new Query(0), correlationId: 1);
        rows.Writer.TryWrite(new Row(0));
        await AssertRowsAsync(host, client, 1, 1);

        // The client goes away; the next item finds nobody to read it.
        await client.DisposeAsync();
        rows.Writer.TryWrite(new Row(1));

        await producerCancelled.Task.Within();
        Assert.Equal(DisconnectReason.PeerClosed, (await client.ClosedAsync()).Reason);
        Assert.Empty(protocol.TerminatorRequests);
        Assert.Equal(1, metrics.Sum(Terminations, StreamEnd, StreamEnds.Disconnected));
        Assert.Equal(1, metrics.Sum(Terminations));
        Assert.Equal([StreamEnds.Disconnected], logs.StreamEndsLogged());
    }

    [Fact]
    public async Task A_client_that_disconnects_over_tcp_while_the_producer_has_nothing_to_send_still_cancels_the_producer()
    {
        var protocol = new RecordingProtocol();
        var producerCancelled = NewSignal();
        WireframeAppBuilder<Envelope> app = App(protocol);
        app.RouteStream<Query, Row>(QueryId, (_, ctx) => RowThenIdle(producerCancelled, ctx.RequestAborted));
        await using var server = await TcpTestServer.StartAsync(app);
        using var metrics = new MetricCapture(server.Server.Services);
        await using (FrameSocket client = await FrameSocket.ConnectAsync(server.EndPoint))
        {
            await client.SendAsync(FrameSocket.Envelope(QueryId, [0, 0, 0, 1], correlationId: 1));
            EnvelopeReply? first = await client.ReadEnvelopeAsync();
            Assert.Equal((RowId, (ulong?)1), (first?.MessageId, first?.CorrelationId));
        }

        // A subscription with nothing new to say must still learn that its subscriber left.
        await producerCancelled.Task.WaitAsync(Safety);
        Assert.Empty(protocol.TerminatorRequests);
    }

    [Fact]
    public async Task Shutdown_mid_stream_ends_it_as_shutdown_cancels_the_producer_and_sends_no_terminator()
    {
        var protocol = new RecordingProtocol();
        var producerCancelled = NewSignal();
        WireframeAppBuilder<Envelope> app = App(protocol);
        app.RouteStream<Query, Row>(QueryId, (_, ctx) => RowThenIdle(producerCancelled, ctx.RequestAborted));
        using var logs = new LogCapture();
        await using var host = Host(app, logs);
        using var metrics = new MetricRecorder(host.Services);
        await using var client = host.Connect();

        await client.SendAsync(QueryId, new Query(0), correlationId: 1);
        await AssertRowsAsync(host, client, 1, 1);
        Task<bool> shutdown = host.ShutdownAsync();

        await producerCancelled.Task.Within();
        Assert.True(await shutdown.Within());
        Assert.Equal(DisconnectReason.ServerShutdown, (await client.ClosedAsync()).Reason);
        Assert.Empty(await client.ReadToEndAsync().Within());
        Assert.Empty(protocol.TerminatorRequests);
        Assert.Equal(1, metrics.Sum(Terminations, StreamEnd, StreamEnds.Shutdown));
        Assert.Equal(1, metrics.Sum(Terminations));
        Assert.Equal([StreamEnds.Shutdown], logs.StreamEndsLogged());
    }

    [Fact]
    public async Task A_stream_stuck_on_a_client_that_reads_nothing_is_aborted_at_the_drain_deadline_and_counted_as_shutdown()
    {
        TimeSpan drain = TimeSpan.FromSeconds(5);
        var protocol = new RecordingProtocol();
        WireframeAppBuilder<Envelope> app = App(protocol).Configure(o => o.ShutdownDrainTimeout = drain);
        app.RouteMany<Query, byte[]>(QueryId, (query, _) => Enumerable.Range(0, (int)query.Count).Select(_ => new byte[1024]));
        using var logs = new LogCapture();
        await using var host = Host(app, logs);
        using var metrics = new MetricRecorder(host.Services);
        await using var client = new WatchedClient(host, TinyPipes());

        await client.SendAsync(QueryId, new Query(100_000), correlationId: 1);
        await client.FlushBlocked.Within();
        Task<bool> shutdown = host.ShutdownAsync();
        host.Time.Advance(drain);

        Assert.Equal(DisconnectReason.DrainTimeout, (await client.Closed.Within()).Reason);
        Assert.True(await shutdown.Within());
        Assert.Empty(protocol.TerminatorRequests);

        // streaming.md: a stream cut short by a graceful server shutdown ends as "shutdown".
        Assert.Equal([StreamEnds.Shutdown], logs.StreamEndsLogged());
        Assert.Equal(1, metrics.Sum(Terminations, StreamEnd, StreamEnds.Shutdown));
    }

    [Fact]
    public async Task Closing_the_connection_mid_stream_ends_it_as_disconnected_without_a_terminator()
    {
        var protocol = new RecordingProtocol();
        var producerCancelled = NewSignal();
        WireframeAppBuilder<Envelope> app = App(protocol);
        app.RouteStream<Query, Row>(QueryId, (_, ctx) => RowThenIdle(producerCancelled, ctx.RequestAborted));
        using var logs = new LogCapture();
        await using var host = Host(app, logs);
        using var metrics = new MetricRecorder(host.Services);
        await using var client = host.Connect();

        await client.SendAsync(QueryId, new Query(0), correlationId: 1);
        await AssertRowsAsync(host, client, 1, 1);
        (await protocol.FirstConnection.Within()).Close();

        await producerCancelled.Task.Within();
        Assert.Equal(DisconnectReason.ClosedByApplication, (await client.ClosedAsync()).Reason);
        Assert.Empty(await client.ReadToEndAsync().Within());
        Assert.Empty(protocol.TerminatorRequests);
        Assert.Equal(1, metrics.Sum(Terminations, StreamEnd, StreamEnds.Disconnected));
        Assert.Equal([StreamEnds.Disconnected], logs.StreamEndsLogged());
    }

    [Fact]
    public async Task In_sequential_mode_the_next_request_waits_until_the_stream_before_it_has_ended()
    {
        var events = new ConcurrentQueue<string>();
        var release = NewSignal();
        var protocol = new RecordingProtocol();
        WireframeAppBuilder<Envelope> app = App(protocol);
        app.RouteStream<Query, Row>(QueryId, (_, ctx) =>
        {
            events.Enqueue($"start {ctx.CorrelationId}");
            return Gated(ctx.CorrelationId, ctx.CorrelationId == 1 ? release.Task : Task.CompletedTask);
        });

        async IAsyncEnumerable<Row> Gated(ulong? correlationId, Task gate)
        {
            try
            {
                yield return new Row(0);
                await gate;
                yield return new Row(1);
            }
            finally
            {
                events.Enqueue($"end {correlationId}");
            }
        }

        await using var host = WireframeTest.CreateHost(app);
        await using var client = host.Connect();

        await client.SendAsync(QueryId, new Query(0), correlationId: 1);
        await client.SendAsync(QueryId, new Query(0), correlationId: 2);
        await AssertRowsAsync(host, client, 1, 1);
        Assert.Equal(["start 1"], events);

        release.SetResult();
        Envelope second = await client.NextFrameAsync();
        Assert.Equal(((ulong?)1, new Row(1)), (second.CorrelationId, host.ReadRow(second)));
        await AssertTerminatorAsync(client, 1);
        await AssertRowsAsync(host, client, 2, 2);
        await AssertTerminatorAsync(client, 2);
        await client.AssertNothingMoreThenCleanCloseAsync();
        Assert.Equal(["start 1", "end 1", "start 2", "end 2"], events);
    }

    [Fact]
    public async Task Pushes_interleave_between_the_frames_of_a_stream()
    {
        var protocol = new RecordingProtocol();
        var rows = Channel.CreateUnbounded<Row>();
        WireframeAppBuilder<Envelope> app = App(protocol);
        app.RouteStream<Query, Row>(QueryId, (_, ctx) => rows.Reader.ReadAllAsync(ctx.RequestAborted));
        await using var host = WireframeTest.CreateHost(app);
        await using var client = host.Connect();
        PushHandle<Envelope> pushes = (await protocol.FirstConnection.Within()).Pushes;

        await client.SendAsync(QueryId, new Query(0), correlationId: 1);
        rows.Writer.TryWrite(new Row(0));
        await AssertRowsAsync(host, client, 1, 1);

        Assert.Equal(PushResult.Queued, pushes.TryPush(PushId, Utf8("high"), PushPriority.High));
        Envelope high = await client.NextFrameAsync();
        Assert.Equal((PushId, (ulong?)null, "high"), (high.MessageId, high.CorrelationId, high.Text()));

        rows.Writer.TryWrite(new Row(1));
        Envelope row = await client.NextFrameAsync();
        Assert.Equal(((ulong?)1, new Row(1)), (row.CorrelationId, host.ReadRow(row)));

        Assert.Equal(PushResult.Queued, pushes.TryPush(PushId, Utf8("low"), PushPriority.Low));
        Envelope low = await client.NextFrameAsync();
        Assert.Equal((PushId, (ulong?)null, "low"), (low.MessageId, low.CorrelationId, low.Text()));

        rows.Writer.Complete();
        await AssertTerminatorAsync(client, 1);
        await client.AssertNothingMoreThenCleanCloseAsync();
    }

    [Fact]
    public async Task With_concurrent_requests_streams_take_turns_whole_stream_by_whole_stream()
    {
        const uint Count = 20;
        var protocol = new RecordingProtocol();
        WireframeAppBuilder<Envelope> app = App(protocol).Configure(o => o.MaxConcurrentRequestsPerConnection = 4);
        app.RouteStream<Query, Row>(QueryId, (query, ctx) => Rows(query.Count, ctx.RequestAborted));
        await using var host = WireframeTest.CreateHost(app);
        await using var client = host.Connect();

        for (ulong correlationId = 1; correlationId <= 3; correlationId++)
        {
            await client.SendAsync(QueryId, new Query(Count), correlationId);
        }

        var seen = new HashSet<ulong>();
        for (int stream = 0; stream < 3; stream++)
        {
            Envelope first = await client.NextFrameAsync();
            ulong correlationId = first.CorrelationId!.Value;
            Assert.True(seen.Add(correlationId), $"Stream {correlationId} was interrupted by another stream.");
            Assert.Equal(new Row(0), host.ReadRow(first));
            for (uint i = 1; i < Count; i++)
            {
                Envelope frame = await client.NextFrameAsync();
                Assert.Equal((RowId, (ulong?)correlationId, new Row(i)), (frame.MessageId, frame.CorrelationId, host.ReadRow(frame)));
            }

            await AssertTerminatorAsync(client, correlationId);
        }

        Assert.Equal([1ul, 2ul, 3ul], seen.Order());
        await client.AssertNothingMoreThenCleanCloseAsync();
    }

    [Fact]
    public async Task With_concurrent_requests_a_failed_streams_error_frame_is_written_before_the_next_stream_starts()
    {
        var protocol = new RecordingProtocol();
        var release = NewSignal();
        var secondCalled = NewSignal();
        WireframeAppBuilder<Envelope> app = App(protocol).Configure(o => o.MaxConcurrentRequestsPerConnection = 2);
        app.RouteStream<Query, Row>(QueryId, (query, ctx) =>
        {
            if (ctx.CorrelationId == 1)
            {
                return FailAfterOneRow(release.Task);
            }

            secondCalled.TrySetResult();
            return Rows(query.Count, ctx.RequestAborted);
        });
        await using var host = WireframeTest.CreateHost(app);
        await using var client = host.Connect();

        await client.SendAsync(QueryId, new Query(1), correlationId: 1);
        Envelope first = await client.NextFrameAsync();
        Assert.Equal((RowId, (ulong?)1), (first.MessageId, first.CorrelationId));
        await client.SendAsync(QueryId, new Query(3), correlationId: 2);
        await secondCalled.Task.Within();
        release.TrySetResult();

        // The second stream waits for the first; the first's error frame belongs to it, so it comes first.
        Envelope failure = await client.NextFrameAsync();
        Assert.Equal((RecordingProtocol.ErrorId, (ulong?)1, "cut short"), (failure.MessageId, failure.CorrelationId, failure.Text()));
        await AssertRowsAsync(host, client, 2, 3);
        await AssertTerminatorAsync(client, 2);
    }

    private static async IAsyncEnumerable<Row> FailAfterOneRow(Task gate)
    {
        yield return new Row(0);
        await gate;
        throw new WireframeProtocolException("cut short");
    }
}
