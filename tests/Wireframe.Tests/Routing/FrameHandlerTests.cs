using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.IO.Pipelines;
using System.Text;
using Wireframe.Connections;
using Wireframe.Examples.Echo;
using Wireframe.Framing;
using Wireframe.Messages;
using Wireframe.Outbound;
using Wireframe.Routing;
using Wireframe.Testing;
using Wireframe.Tests.Connections;
using Wireframe.Tests.Support;
using static Wireframe.Tests.Connections.TestKit;

namespace Wireframe.Tests.Routing;

/// <summary>
/// <see cref="WireframeAppBuilder{TFrame}.HandleFrames"/>: every frame goes to one synchronous handler
/// that answers through its <see cref="FrameReply{TFrame}"/>, with the connection's writer held across
/// a read's frames. Most tests run both ways a read's frames are found: by the read loop itself (the
/// built-in length-delimited codec) and by the general decoder (the same codec behind another type).
/// </summary>
public sealed class FrameHandlerTests
{
    private const string ProtocolErrors = "protocol_error";
    private const string HandlerExceptions = "handler_exception";

    [Fact]
    public void HandleFrames_rejects_a_null_handler()
    {
        var app = WireframeApp.CreateRawBuilder();

        var ex = Assert.Throws<ArgumentNullException>(() => app.HandleFrames(null!));

        Assert.Equal("handler", ex.ParamName);
    }

    [Fact]
    public void Every_conflict_with_a_frame_handler_is_listed_in_one_build_error()
    {
        var app = WireframeApp.CreateRawBuilder()
            .Configure(o => o.MaxConcurrentRequestsPerConnection = 4)
            .Use((ctx, next) => next(ctx))
            .WithProtocol(new NoHooks())
            .UseFragmentation(64)
            .OnUnknownMessage(_ => ValueTask.CompletedTask);
        app.Route<ReadOnlySequence<byte>, ReadOnlySequence<byte>>(0, (frame, _) => frame);
        app.HandleFrames(static (frame, reply) => reply.Send(frame));

        var ex = Assert.Throws<InvalidOperationException>(() => app.Build());

        Assert.Contains("remove the 1 route(s)", ex.Message, StringComparison.Ordinal);
        Assert.Contains("remove the 1 Use call(s)", ex.Message, StringComparison.Ordinal);
        Assert.Contains("remove WithProtocol", ex.Message, StringComparison.Ordinal);
        Assert.Contains("remove UseFragmentation", ex.Message, StringComparison.Ordinal);
        Assert.Contains("remove OnUnknownMessage", ex.Message, StringComparison.Ordinal);
        Assert.Contains("MaxConcurrentRequestsPerConnection must be 1 (it is 4)", ex.Message, StringComparison.Ordinal);
        Assert.Equal(6, ProblemLines(ex.Message).Length);
    }

    [Theory]
    [InlineData("route", "remove the 1 route(s)")]
    [InlineData("middleware", "remove the 2 Use call(s)")]
    [InlineData("protocol", "remove WithProtocol")]
    [InlineData("fragmentation", "remove UseFragmentation")]
    [InlineData("unknown", "remove OnUnknownMessage")]
    [InlineData("concurrency", "MaxConcurrentRequestsPerConnection must be 1 (it is 2)")]
    public void Each_conflict_alone_fails_the_build_naming_it(string conflict, string expected)
    {
        var app = WireframeApp.CreateRawBuilder();
        app.HandleFrames(static (frame, reply) => reply.Send(frame));
        switch (conflict)
        {
            case "route":
                app.Route<ReadOnlySequence<byte>, ReadOnlySequence<byte>>(0, (frame, _) => frame);
                break;
            case "middleware":
                app.Use((ctx, next) => next(ctx)).Use(next => next);
                break;
            case "protocol":
                app.WithProtocol(new NoHooks());
                break;
            case "fragmentation":
                app.UseFragmentation(64);
                break;
            case "unknown":
                app.OnUnknownMessage(_ => ValueTask.CompletedTask);
                break;
            default:
                app.Configure(o => o.MaxConcurrentRequestsPerConnection = 2);
                break;
        }

        var ex = Assert.Throws<InvalidOperationException>(() => app.Build());

        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
        Assert.Contains("Frames are handled by HandleFrames", ex.Message, StringComparison.Ordinal);
        Assert.Single(ProblemLines(ex.Message));
    }

    [Fact]
    public void A_frame_handler_builds_with_hooks_a_preamble_and_one_request_at_a_time()
    {
        var app = WireframeApp.CreateRawBuilder()
            .Configure(o => o.MaxConcurrentRequestsPerConnection = 1)
            .UsePreamble(new LinePreambleReader())
            .OnConnected(_ => ValueTask.CompletedTask)
            .OnDisconnected((_, _) => ValueTask.CompletedTask)
            .OnShutdown(_ => ValueTask.CompletedTask)
            .OnRequestError((_, _) => ValueTask.CompletedTask);
        app.HandleFrames(static (frame, reply) => reply.Send(frame));

        WireframeApplication<ReadOnlySequence<byte>> built = app.Build();

        Assert.NotNull(built);
    }

    [Fact]
    public void A_default_FrameReply_cannot_send_or_reach_a_connection()
    {
        var send = Assert.Throws<InvalidOperationException>(() => default(FrameReply<ReadOnlySequence<byte>>).Send(Bytes("x")));
        var connection = Assert.Throws<InvalidOperationException>(() => default(FrameReply<ReadOnlySequence<byte>>).Connection);

        Assert.Contains("not given to a frame handler", send.Message, StringComparison.Ordinal);
        Assert.Contains("not given to a frame handler", connection.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Frames_are_handled_in_order_and_answered_in_order_with_one_flush_per_read(bool generalPath)
    {
        var handled = new List<string>();
        var app = RawApp(generalPath);
        app.HandleFrames((frame, reply) =>
        {
            string text = frame.Text();
            handled.Add(text);
            if (text == "x")
            {
                return;
            }

            Assert.True(reply.Send(frame));
            if (text.Length == 2)
            {
                Assert.True(reply.Send(Bytes("=" + text)));
            }
        });
        string[] texts = ["a", "bb", "ccc", "x", "dddd", "ee"];
        byte[] input = RawFrames(texts);

        // Three reads: [a bb] [ccc x] [dddd ee].
        Served served = await ServeAsync(app, input, 11, 23);

        Assert.Equal(DisconnectReason.PeerClosed, served.Outcome.Reason);
        Assert.Equal(texts, handled);
        Assert.Equal(["a", "bb", "=bb", "ccc", "dddd", "ee", "=ee"], Frames(served.Output));
        Assert.Equal([5 + 6 + 7, 7, 8 + 6 + 7], served.NonEmptyFlushes);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_full_batch_is_flushed_and_the_rest_of_the_read_is_still_handled(bool generalPath)
    {
        const int Limit = 1024;
        const int Size = 300;
        const int Count = 10;
        int handled = 0;
        var app = RawApp(generalPath).Configure(o => o.MaxUnflushedBytes = Limit);
        app.HandleFrames((frame, reply) =>
        {
            handled++;
            reply.Send(frame);
        });
        byte[] input = RawFrames([.. Enumerable.Range(0, Count).Select(i => new string((char)('a' + i), Size))]);

        Served served = await ServeAsync(app, input);

        Assert.Equal(DisconnectReason.PeerClosed, served.Outcome.Reason);
        Assert.Equal(Count, handled);
        Assert.Equal(input, served.Output);

        // 304-byte frames: the batch reaches 1024 bytes at the fourth, is flushed, and the run goes on.
        Assert.Equal([4 * 304, 4 * 304, 2 * 304], served.NonEmptyFlushes);
    }

    /// <summary>
    /// The batch limit holds when the frame that filled the batch then failed: a failed request is
    /// still a handled frame, and what it sent counts toward the limit (a route's responses are
    /// flushed at the limit however its handler ends).
    /// </summary>
    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    public async Task A_full_batch_is_flushed_even_when_the_frame_that_filled_it_failed(bool generalPath, bool afterRefusedMessage)
    {
        const int Limit = 1024;
        const int Size = 300;
        const int Count = 10;
        int handled = 0;
        var app = RawApp(generalPath, new LengthDelimitedOptions { MaxFrameLength = 1000 }).Configure(o =>
        {
            o.MaxUnflushedBytes = Limit;
            o.HandlerExceptionPolicy = HandlerExceptionPolicy.FailRequest;
            if (afterRefusedMessage)
            {
                // Each frame after the refused one goes to the handler on its own (HandleFrameAsync).
                o.MaxMessageSize = Size;
                o.MaxBufferedBytesPerConnection = 4096;
                o.ReassemblyErrorAction = FrameErrorAction.DropFrame;
            }
        });
        app.HandleFrames((frame, reply) =>
        {
            handled++;
            reply.Send(frame);
            throw new InvalidOperationException("sent, then failed");
        });
        byte[] frames = RawFrames([.. Enumerable.Range(0, Count).Select(i => new string((char)('a' + i), Size))]);
        byte[] input = afterRefusedMessage ? [.. RawFrames(new string('!', Size + 1)), .. frames] : frames;

        Served served = await ServeAsync(app, input);

        Assert.Equal(DisconnectReason.PeerClosed, served.Outcome.Reason);
        Assert.Equal(Count, handled);
        Assert.Equal(frames, served.Output);

        // As in the test above (and as a route's responses are): flushed whenever the batch reaches the limit.
        Assert.Equal([4 * 304, 4 * 304, 2 * 304], served.NonEmptyFlushes);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Under_FailRequest_a_handler_exception_fails_only_its_frame(bool generalPath)
    {
        var handled = new List<string>();
        var errors = new ConcurrentQueue<(string Frame, Exception Error)>();
        var app = RawApp(generalPath)
            .Configure(o => o.HandlerExceptionPolicy = HandlerExceptionPolicy.FailRequest)
            .OnRequestError(async (ctx, ex) =>
            {
                errors.Enqueue((ctx.Frame.Text(), ex));
                await ctx.ReplyAsync(Bytes("error:" + ctx.Frame.Text()));
            });
        app.HandleFrames((frame, reply) => EchoOrThrow(frame, reply, handled));

        Served served = await ServeAsync(app, RawFrames("a", "boom1", "b", "boom2", "c"));

        Assert.Equal(DisconnectReason.PeerClosed, served.Outcome.Reason);
        Assert.Equal(["a", "boom1", "b", "boom2", "c"], handled);
        Assert.Equal(["a", "partial:boom1", "error:boom1", "b", "partial:boom2", "error:boom2", "c"], Frames(served.Output));
        Assert.Equal(["boom1", "boom2"], errors.Select(e => e.Frame));
        Assert.All(errors, e => Assert.Equal("bug in " + e.Frame, Assert.IsType<InvalidOperationException>(e.Error).Message));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Under_CloseConnection_a_handler_exception_closes_with_HandlerFailed_after_what_was_sent(bool generalPath)
    {
        Assert.Equal(HandlerExceptionPolicy.CloseConnection, new WireframeOptions().HandlerExceptionPolicy);
        var handled = new List<string>();
        var errors = new ConcurrentQueue<Exception>();
        var disconnects = new ConcurrentQueue<DisconnectInfo>();
        var app = RawApp(generalPath)
            .OnRequestError((_, ex) =>
            {
                errors.Enqueue(ex);
                return ValueTask.CompletedTask;
            })
            .OnDisconnected((_, info) =>
            {
                disconnects.Enqueue(info);
                return ValueTask.CompletedTask;
            });
        app.HandleFrames((frame, reply) => EchoOrThrow(frame, reply, handled));

        Served served = await ServeAsync(app, RawFrames("a", "boom", "c"));

        Assert.Equal(DisconnectReason.HandlerFailed, served.Outcome.Reason);
        Assert.Equal("bug in boom", served.Outcome.Exception?.Message);
        Assert.Equal(["a", "boom"], handled);
        Assert.Equal(["a", "partial:boom"], Frames(served.Output));
        Assert.Empty(errors);
        Assert.Same(served.Outcome, Assert.Single(disconnects));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_WireframeProtocolException_fails_only_its_frame_even_under_CloseConnection(bool generalPath)
    {
        var errors = new ConcurrentQueue<Exception>();
        var app = RawApp(generalPath).OnRequestError(async (ctx, ex) =>
        {
            errors.Enqueue(ex);
            await ctx.ReplyAsync(Bytes($"error:{((WireframeProtocolException)ex).Code}"));
        });
        app.HandleFrames((frame, reply) =>
        {
            if (frame.Text() == "bad")
            {
                throw new WireframeProtocolException(7, "bad frame");
            }

            reply.Send(frame);
        });
        await using var host = WireframeTest.CreateHost(app);
        using var metrics = new MetricRecorder(host.Services);

        Served served = await ServeAsync(host, RawFrames("a", "bad", "b"));

        Assert.Equal(DisconnectReason.PeerClosed, served.Outcome.Reason);
        Assert.Equal(["a", "error:7", "b"], Frames(served.Output));
        Assert.Equal("bad frame", Assert.IsType<WireframeProtocolException>(Assert.Single(errors)).Message);
        Assert.Equal(1, metrics.Sum("wireframe.server.errors", "error.type", ProtocolErrors));
        Assert.Equal(0, metrics.Sum("wireframe.server.errors", "error.type", HandlerExceptions));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_reply_above_the_codec_maximum_fails_its_frame_without_corrupting_the_stream(bool generalPath)
    {
        var errors = new ConcurrentQueue<Exception>();
        var app = RawApp(generalPath, new LengthDelimitedOptions { MaxFrameLength = 64 })
            .Configure(o => o.HandlerExceptionPolicy = HandlerExceptionPolicy.FailRequest)
            .OnRequestError((_, ex) =>
            {
                errors.Enqueue(ex);
                return ValueTask.CompletedTask;
            });
        app.HandleFrames((frame, reply) =>
        {
            reply.Send(frame);
            if (frame.Text() == "big")
            {
                reply.Send(new ReadOnlySequence<byte>(new byte[100]));
            }
        });

        Served served = await ServeAsync(app, RawFrames("before", "big", "after"));

        Assert.Equal(DisconnectReason.PeerClosed, served.Outcome.Reason);
        Assert.Equal(["before", "big", "after"], Frames(served.Output));
        Assert.Contains("LengthDelimitedOptions.MaxFrameLength", Assert.Single(errors).Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task The_connections_own_sends_inside_the_handler_complete_at_once_and_land_in_order(bool generalPath)
    {
        var completedAtOnce = new List<bool>();
        var app = RawApp(generalPath).UseJson();
        app.HandleFrames((frame, reply) =>
        {
            string t = frame.Text();
            WireframeConnection<ReadOnlySequence<byte>> connection = reply.Connection;
            reply.Send(Bytes(t + "1"));
            ValueTask<bool> send = connection.SendAsync(Bytes(t + "2"));
            completedAtOnce.Add(send.IsCompletedSuccessfully && send.Result);
            reply.Send(Bytes(t + "3"));

            // Sync over async on the connection's own send: must not wait for the writer this run holds
            // (checked first, so a send that waits fails the test instead of hanging it).
            ValueTask<bool> blocking = connection.SendAsync(Bytes(t + "4"));
            if (!blocking.IsCompleted)
            {
                throw new InvalidOperationException("SendAsync inside the handler waits for the writer its own run holds.");
            }

            completedAtOnce.Add(blocking.AsTask().GetAwaiter().GetResult());
            ValueTask<bool> raw = connection.SendRawAsync(RawFrames(t + "5"));
            completedAtOnce.Add(raw.IsCompletedSuccessfully && raw.Result);
            ValueTask<bool> typed = connection.SendAsync(0, new Note(t + "6"));
            completedAtOnce.Add(typed.IsCompletedSuccessfully && typed.Result);
            reply.Send(Bytes(t + "7"));
        });

        Served served = await ServeAsync(app, RawFrames("p", "q"));

        Assert.Equal(DisconnectReason.PeerClosed, served.Outcome.Reason);
        Assert.Equal(8, completedAtOnce.Count);
        Assert.All(completedAtOnce, done => Assert.True(done));
        List<string> frames = Frames(served.Output);
        Assert.Equal(14, frames.Count);
        for (int i = 0; i < 14; i++)
        {
            string t = i < 7 ? "p" : "q";
            string expected = t + ((i % 7) + 1);
            if (i % 7 == 5)
            {
                Assert.Contains(expected, frames[i], StringComparison.Ordinal);
                Assert.StartsWith("{", frames[i], StringComparison.Ordinal);
            }
            else
            {
                Assert.Equal(expected, frames[i]);
            }
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_typed_send_serializes_in_order_and_its_serializer_failure_fails_only_its_frame(bool generalPath)
    {
        var errors = new ConcurrentQueue<(string Frame, Exception Error)>();
        var app = RawApp(generalPath)
            .UseJson()
            .Configure(o => o.HandlerExceptionPolicy = HandlerExceptionPolicy.FailRequest)
            .OnRequestError((ctx, ex) =>
            {
                errors.Enqueue((ctx.Frame.Text(), ex));
                return ValueTask.CompletedTask;
            });
        app.HandleFrames((frame, reply) =>
        {
            string t = frame.Text();
            reply.Send(Bytes(t + "1"));
            Assert.True(t == "bad" ? reply.Send(0, new Unserializable()) : reply.Send(0, new Note(t + "2")));
            reply.Send(Bytes(t + "3"));
        });

        Served served = await ServeAsync(app, RawFrames("a", "bad", "c"));

        Assert.Equal(DisconnectReason.PeerClosed, served.Outcome.Reason);
        Assert.Equal(["a1", """{"Text":"a2"}""", "a3", "bad1", "c1", """{"Text":"c2"}""", "c3"], Frames(served.Output));
        (string failedFrame, Exception error) = Assert.Single(errors);
        Assert.Equal("bad", failedFrame);
        Assert.Equal("not serializable", error.Message);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Close_inside_the_handler_ends_the_read_after_its_frame_and_delivers_what_was_sent(bool generalPath)
    {
        var handled = new List<string>();
        var disconnects = new ConcurrentQueue<DisconnectInfo>();
        var app = RawApp(generalPath).OnDisconnected((_, info) =>
        {
            disconnects.Enqueue(info);
            return ValueTask.CompletedTask;
        });
        app.HandleFrames((frame, reply) =>
        {
            string text = frame.Text();
            handled.Add(text);
            reply.Send(frame);
            if (text == "stop")
            {
                reply.Send(Bytes("bye"));
                reply.Connection.Close();
            }
        });

        Served served = await ServeAsync(app, RawFrames("a", "stop", "b", "c"));

        Assert.Equal(DisconnectReason.ClosedByApplication, served.Outcome.Reason);
        Assert.Equal(["a", "stop"], handled);
        Assert.Equal(["a", "stop", "bye"], Frames(served.Output));
        Assert.Equal(DisconnectReason.ClosedByApplication, Assert.Single(disconnects).Reason);
    }

    [Fact]
    public async Task Send_returns_false_once_the_writer_is_closed_under_the_handler()
    {
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var release = new ManualResetEventSlim();
        var results = new ConcurrentQueue<bool>();
        var app = WireframeApp.CreateRawBuilder().Configure(o => o.ShutdownDrainTimeout = TimeSpan.FromSeconds(5));
        app.HandleFrames((frame, reply) =>
        {
            results.Enqueue(reply.Send(frame));
            entered.TrySetResult();

            // Holds the run (a test-only block, bounded) while the drain deadline aborts the writer.
            Assert.True(release.Wait(Safety));
            results.Enqueue(reply.Send(frame));
            ValueTask<bool> send = reply.Connection.SendAsync(frame);
            results.Enqueue(send.IsCompleted && send.AsTask().GetAwaiter().GetResult());
        });
        await using var host = WireframeTest.CreateHost(app);
        await using var client = host.Connect();

        await client.SendRawAsync(RawFrames("wait"));
        await entered.Task.Within();
        Task<bool> shutdown = host.ShutdownAsync();
        host.Time.Advance(TimeSpan.FromSeconds(5));
        release.Set();

        Assert.Equal(DisconnectReason.DrainTimeout, (await client.ClosedAsync()).Reason);
        Assert.True(await shutdown.Within());
        Assert.Equal([true, false, false], results);
    }

    /// <summary>
    /// Pushes queued while another writer holds the connection go out before the replies of the run
    /// that waits behind it; after a refused message the same holds for each frame's own turn.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_push_queued_before_a_run_goes_out_before_the_runs_replies(bool afterRefusedMessage)
    {
        var connected = new TaskCompletionSource<WireframeConnection<ReadOnlySequence<byte>>>(TaskCreationOptions.RunContinuationsAsynchronously);
        var app = WireframeApp.CreateRawBuilder(new LengthDelimitedOptions { MaxFrameLength = 100 }).OnConnected(connection =>
        {
            connected.SetResult(connection);
            return ValueTask.CompletedTask;
        });
        if (afterRefusedMessage)
        {
            app.Configure(o =>
            {
                o.MaxMessageSize = 4;
                o.MaxBufferedBytesPerConnection = 1024;
                o.ReassemblyErrorAction = FrameErrorAction.DropFrame;
            });
        }

        app.HandleFrames(static (frame, reply) => reply.Send(frame));
        await using var host = WireframeTest.CreateHost(app);
        var context = new InMemoryConnectionContext();
        var input = new ManualReader();
        var output = new FlushRecordingWriter(context.Transport.Output);
        context.Transport = new DuplexPipe(input, output);
        Task<DisconnectInfo> served = host.Handler.ServeAsync(context);
        Task<byte[]> received = DrainAsync(context.Application.Input);
        WireframeConnection<ReadOnlySequence<byte>> connection = await connected.Task.Within();
        await input.WaitingForBytesAsync().Within();
        if (afterRefusedMessage)
        {
            // Refused (above MaxMessageSize): inbound assembly now hands the handler each frame on its own.
            input.Deliver(RawFrames("0123456789"));
            await input.WaitingForBytesAsync().Within();
        }

        // The push pump writes p1 and holds the writer in a flush that waits for the test.
        Task flushHeld = output.HoldNextFlush();
        Assert.Equal(PushResult.Queued, connection.Pushes.TryPush(Bytes("p1")));
        await flushHeld.Within();

        // p2 is queued behind the running pump; then a read arrives and waits for the writer.
        Assert.Equal(PushResult.Queued, connection.Pushes.TryPush(Bytes("p2")));
        input.Deliver(RawFrames("b"));
        output.Release();
        input.End();

        Assert.Equal(DisconnectReason.PeerClosed, (await served.Within()).Reason);
        Assert.Equal(["p1", "p2", "b"], Frames(await received.Within()));
    }

    [Fact]
    public async Task A_push_queued_just_before_a_read_arrives_goes_out_before_that_reads_replies()
    {
        var app = WireframeApp.CreateRawBuilder();
        app.HandleFrames(static (frame, reply) => reply.Send(frame));
        await using var host = WireframeTest.CreateHost(app);
        var context = new InMemoryConnectionContext();
        var input = new ManualReader();
        context.Transport = new DuplexPipe(input, context.Transport.Output);
        Task<DisconnectInfo> served = host.Handler.ServeAsync(context);
        await input.WaitingForBytesAsync().Within();
        WireframeConnection<ReadOnlySequence<byte>> connection = Assert.IsType<WireframeConnection<ReadOnlySequence<byte>>>(context.Features.Get<WireframeConnection<ReadOnlySequence<byte>>>());

        // The read is handled on this thread at once, often before the pump gets to the writer:
        // the read then finds the writer free, with the push still queued.
        for (int i = 0; i < 20; i++)
        {
            Assert.Equal(PushResult.Queued, connection.Pushes.TryPush(Bytes($"push{i}")));
            input.Deliver(RawFrames($"reply{i}"));
            Assert.Equal([$"push{i}", $"reply{i}"], await ReadFramesAsync(context.Application.Input, 2));
        }

        input.End();
        Assert.Equal(DisconnectReason.PeerClosed, (await served.Within()).Reason);
    }

    [Fact]
    public async Task After_a_run_a_send_from_the_thread_that_ran_it_waits_for_the_writer_like_any_other()
    {
        var app = WireframeApp.CreateRawBuilder();
        app.HandleFrames(static (frame, reply) => reply.Send(frame));
        await using var host = WireframeTest.CreateHost(app);

        // On one thread throughout, so the read's run happens on it too (see SendAfterRunOnOneThread).
        (bool completedWhileHeld, DisconnectInfo outcome, byte[] received) = await Task.Run(() => SendAfterRunOnOneThread(host));

        Assert.False(completedWhileHeld, "The send went into the batch while the pump held the writer.");
        Assert.Equal(DisconnectReason.PeerClosed, outcome.Reason);
        Assert.Equal(["run", "push", "later"], Frames(received));
    }

    [Fact]
    public async Task Pushes_made_inside_the_handler_arrive_intact_after_the_runs_replies()
    {
        var results = new ConcurrentQueue<PushResult>();
        var pushTasks = new ConcurrentQueue<Task<PushResult>>();
        var app = WireframeApp.CreateRawBuilder();
        app.HandleFrames((frame, reply) =>
        {
            string text = frame.Text();
            reply.Send(frame);
            if (text == "x")
            {
                PushHandle<ReadOnlySequence<byte>> pushes = reply.Connection.Pushes;
                results.Enqueue(pushes.TryPush(Bytes("push1:" + text)));
                pushTasks.Enqueue(pushes.PushAsync(Bytes("push2:" + text)).AsTask());
                results.Enqueue(pushes.TryPush(0, Utf8("typed:" + text)));
            }
        });
        await using var host = WireframeTest.CreateHost(app);
        await using var client = host.Connect();

        await client.SendRawAsync(RawFrames("a", "x", "b"));

        string[] expected = ["a", "x", "b", "push1:x", "push2:x", "typed:x"];
        foreach (string text in expected)
        {
            Assert.Equal(text, (await client.ReadFrameAsync().Within()).Text());
        }

        Assert.All(results, r => Assert.Equal(PushResult.Queued, r));
        Assert.Equal(PushResult.Queued, await Assert.Single(pushTasks).Within());
        await client.CompleteAsync();
        Assert.Empty(await client.ReadToEndAsync().Within());
        Assert.Equal(DisconnectReason.PeerClosed, (await client.ClosedAsync()).Reason);
    }

    [Fact]
    public async Task The_preamble_a_greeting_and_the_disconnect_hook_work_with_a_frame_handler()
    {
        var disconnects = new ConcurrentQueue<DisconnectInfo>();
        var app = WireframeApp.CreateRawBuilder()
            .UsePreamble(new LinePreambleReader(), async (connection, name) => await connection.SendRawAsync(Encoding.ASCII.GetBytes($"WELCOME {name}\n")))
            .OnConnected(async connection => await connection.SendAsync(Bytes($"greetings, {connection.Preamble}")))
            .OnDisconnected((_, info) =>
            {
                disconnects.Enqueue(info);
                return ValueTask.CompletedTask;
            });
        app.HandleFrames(static (frame, reply) => reply.Send(Bytes($"{reply.Connection.Preamble}: {frame.Text()}")));
        await using var host = WireframeTest.CreateHost(app);
        await using var client = host.Connect();

        // The server speaks first: the welcome and the greeting arrive before the client sends a frame.
        await client.SendRawAsync("HELLO bob\n"u8.ToArray());
        Assert.Equal("WELCOME bob\n", Encoding.ASCII.GetString(await client.ReadRawAsync(12).Within()));
        Assert.Equal("greetings, bob", (await client.ReadFrameAsync().Within()).Text());

        await client.SendRawAsync(RawFrames("first", "second"));
        Assert.Equal("bob: first", (await client.ReadFrameAsync().Within()).Text());
        Assert.Equal("bob: second", (await client.ReadFrameAsync().Within()).Text());
        await client.CompleteAsync();
        Assert.Empty(await client.ReadToEndAsync().Within());
        DisconnectInfo info = await client.ClosedAsync();
        Assert.Equal(DisconnectReason.PeerClosed, info.Reason);
        Assert.Same(info, Assert.Single(disconnects));

        // Frames in the same packet as the preamble are handled too.
        await using var eager = host.Connect();
        await eager.SendRawAsync((byte[])[.. "HELLO ann\n"u8, .. RawFrames("x", "y")]);
        Assert.Equal("WELCOME ann\n", Encoding.ASCII.GetString(await eager.ReadRawAsync(12).Within()));
        Assert.Equal("greetings, ann", (await eager.ReadFrameAsync().Within()).Text());
        Assert.Equal("ann: x", (await eager.ReadFrameAsync().Within()).Text());
        Assert.Equal("ann: y", (await eager.ReadFrameAsync().Within()).Text());
    }

    [Fact]
    public async Task A_graceful_shutdown_says_goodbye_after_the_replies_of_a_frame_handler()
    {
        var app = WireframeApp.CreateRawBuilder().OnShutdown(async connection => await connection.SendAsync(Bytes("goodbye")));
        app.HandleFrames(static (frame, reply) => reply.Send(frame));
        await using var host = WireframeTest.CreateHost(app);
        await using var client = host.Connect();

        await client.SendRawAsync(RawFrames("a", "b"));
        Assert.Equal("a", (await client.ReadFrameAsync().Within()).Text());
        Assert.Equal("b", (await client.ReadFrameAsync().Within()).Text());
        Task<bool> shutdown = host.ShutdownAsync();

        Assert.Equal("goodbye", (await client.ReadFrameAsync().Within()).Text());
        Assert.Equal(DisconnectReason.ServerShutdown, (await client.ClosedAsync()).Reason);
        Assert.True(await shutdown.Within());
    }

    [Theory]
    [InlineData(FrameErrorAction.DropFrame)]
    [InlineData(FrameErrorAction.Disconnect)]
    public async Task Oversized_frames_follow_the_frame_error_policy(FrameErrorAction action)
    {
        var handled = new List<string>();
        var app = WireframeApp.CreateRawBuilder(new LengthDelimitedOptions { MaxFrameLength = 8 })
            .Configure(o => o.OversizedFrameAction = action);
        app.HandleFrames((frame, reply) =>
        {
            handled.Add(frame.Text());
            reply.Send(frame);
        });
        await using var host = WireframeTest.CreateHost(app);
        using var metrics = new MetricRecorder(host.Services);
        await using var client = host.Connect();

        // The dropped body holds what looks like a frame: answering it would mean it was parsed.
        await client.SendRawAsync((byte[])[.. RawFrames("ok"), .. Prefix(9), .. RawFrames("smug!"), .. RawFrames("after")]);

        Assert.Equal("ok", (await client.ReadFrameAsync().Within()).Text());
        if (action == FrameErrorAction.DropFrame)
        {
            Assert.Equal("after", (await client.ReadFrameAsync().Within()).Text());
            await client.CompleteAsync();
            Assert.Equal(DisconnectReason.PeerClosed, (await client.ClosedAsync()).Reason);
            Assert.Equal(["ok", "after"], handled);
        }
        else
        {
            Assert.Equal(DisconnectReason.FrameTooLarge, (await client.ClosedAsync()).Reason);
            Assert.Equal(["ok"], handled);
        }

        Assert.Empty(await client.ReadToEndAsync().Within());
        Assert.Equal(1, metrics.Sum("wireframe.server.errors", "error.type", "frame_oversized"));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Frames_received_and_sent_and_handler_exceptions_are_counted(bool generalPath)
    {
        var app = RawApp(generalPath).Configure(o => o.HandlerExceptionPolicy = HandlerExceptionPolicy.FailRequest);
        app.HandleFrames((frame, reply) =>
        {
            switch (frame.Text())
            {
                case "two":
                    reply.Send(frame);
                    reply.Send(frame);
                    break;
                case "one":
                    reply.Send(frame);
                    break;
                case "boom":
                    throw new InvalidOperationException("bug");
            }
        });
        await using var host = WireframeTest.CreateHost(app);
        using var metrics = new MetricRecorder(host.Services);

        Served served = await ServeAsync(host, RawFrames("two", "none", "one", "boom"));

        Assert.Equal(DisconnectReason.PeerClosed, served.Outcome.Reason);
        Assert.Equal(["two", "two", "one"], Frames(served.Output));
        Assert.Equal(4, metrics.Sum("wireframe.server.frames_received"));
        Assert.Equal(3, metrics.Sum("wireframe.server.frames_sent"));
        Assert.Equal(1, metrics.Sum("wireframe.server.errors", "error.type", HandlerExceptions));
    }

    /// <summary>
    /// With MaxMessageSize below the codec's maximum, a frame above it is refused by inbound assembly,
    /// which then takes every later frame: each goes to the handler on its own, and is still
    /// answered, failed, flushed when the batch is full, and stopped by a close.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task After_an_oversized_message_is_refused_later_frames_are_still_handled_one_by_one(bool generalPath)
    {
        var handled = new List<string>();
        var errors = new ConcurrentQueue<string>();
        var app = RawApp(generalPath, new LengthDelimitedOptions { MaxFrameLength = 100 })
            .Configure(o =>
            {
                o.MaxMessageSize = 4;
                o.MaxBufferedBytesPerConnection = 1024;
                o.ReassemblyErrorAction = FrameErrorAction.DropFrame;
                o.HandlerExceptionPolicy = HandlerExceptionPolicy.FailRequest;
                o.MaxUnflushedBytes = 1;
            })
            .OnRequestError(async (ctx, _) =>
            {
                errors.Enqueue(ctx.Frame.Text());
                await ctx.ReplyAsync(Bytes("error:" + ctx.Frame.Text()));
            });
        app.HandleFrames((frame, reply) =>
        {
            string text = frame.Text();
            handled.Add(text);
            if (text == "boom")
            {
                throw new InvalidOperationException("bug");
            }

            reply.Send(frame);
            if (text == "stop")
            {
                reply.Connection.Close();
            }
        });

        Served served = await ServeAsync(app, RawFrames("ok", "0123456789", "k2", "boom", "k3", "stop", "gone"));

        Assert.Equal(DisconnectReason.ClosedByApplication, served.Outcome.Reason);
        Assert.Equal(["ok", "k2", "boom", "k3", "stop"], handled);
        Assert.Equal(["ok", "k2", "error:boom", "k3", "stop"], Frames(served.Output));
        Assert.Equal(["boom"], errors);

        // MaxUnflushedBytes is 1: every reply is flushed on its own, whichever path sent it.
        Assert.Equal([6, 6, 14, 6, 8], served.NonEmptyFlushes);
    }

    [Fact]
    public async Task The_raw_echo_example_answers_pipelined_frames_over_TCP_exactly_as_the_routed_raw_echo()
    {
        int[] sizes = [0, 1, 2, 100, 4096, 65_535, 70_000, 1, 0, 300_000, 7];
        byte[][] payloads = [.. sizes.Select((size, i) => Payloads.Random(size, seed: i))];
        byte[] request = [.. payloads.SelectMany(p => FrameSocket.Raw(p))];

        List<byte[]> handled = await EchoOverTcpAsync(EchoApp.CreateRaw(), request, payloads.Length);
        List<byte[]> routed = await EchoOverTcpAsync(EchoApp.CreateRawRouted(), request, payloads.Length);

        Assert.Equal(payloads, handled);
        Assert.Equal(routed, handled);
    }

    [Fact]
    public void The_raw_echo_example_is_a_frame_handler_and_the_routed_raw_echo_is_not()
    {
        var handled = EchoApp.CreateRaw();
        handled.Route<ReadOnlySequence<byte>, ReadOnlySequence<byte>>(1, (frame, _) => frame);
        var routed = EchoApp.CreateRawRouted();
        routed.Route<ReadOnlySequence<byte>, ReadOnlySequence<byte>>(1, (frame, _) => frame);

        var ex = Assert.Throws<InvalidOperationException>(() => handled.Build());

        Assert.Contains("Frames are handled by HandleFrames", ex.Message, StringComparison.Ordinal);
        Assert.NotNull(routed.Build());
        Assert.NotNull(EchoApp.CreateRaw().Build());
    }

    [Fact]
    public async Task Over_TCP_a_frame_handler_fails_a_frame_then_closes_after_its_replies()
    {
        var disconnected = new TaskCompletionSource<DisconnectInfo>(TaskCreationOptions.RunContinuationsAsynchronously);
        var app = WireframeApp.CreateRawBuilder()
            .Configure(o => o.HandlerExceptionPolicy = HandlerExceptionPolicy.FailRequest)
            .OnRequestError(async (ctx, ex) => await ctx.ReplyAsync(Bytes($"error:{ctx.Frame.Text()}:{ex.Message}")))
            .OnDisconnected((_, info) =>
            {
                disconnected.TrySetResult(info);
                return ValueTask.CompletedTask;
            });
        app.HandleFrames(static (frame, reply) =>
        {
            switch (frame.Text())
            {
                case "boom":
                    throw new InvalidOperationException("bug");
                case "quit":
                    reply.Send(Bytes("bye"));
                    reply.Connection.Close();
                    break;
                default:
                    reply.Send(frame);
                    break;
            }
        });
        await using var server = await TcpTestServer.StartAsync(app);
        await using var client = await FrameSocket.ConnectAsync(server.EndPoint);

        await client.SendAsync(RawFrames("a", "boom", "b", "quit", "never"));
        byte[] received = await client.ReadToEndAsync();

        Assert.Equal(["a", "error:boom:bug", "b", "bye"], Frames(received));
        Assert.Equal(DisconnectReason.ClosedByApplication, (await disconnected.Task.Within()).Reason);
    }

    private static ReadOnlySequence<byte> Bytes(string text) => new(Utf8(text));

    private static byte[] RawFrames(params string[] texts) =>
        [.. texts.SelectMany(text => (byte[])[.. Prefix((uint)Encoding.UTF8.GetByteCount(text)), .. Utf8(text)])];

    /// <summary>Splits what the server sent into frames with a 4-byte big-endian prefix; a partial frame fails the test.</summary>
    private static List<string> Frames(byte[] output)
    {
        var frames = new List<string>();
        int offset = 0;
        while (offset < output.Length)
        {
            Assert.True(output.Length - offset >= 4, $"{output.Length - offset} stray bytes at the end");
            int length = (int)BinaryPrimitives.ReadUInt32BigEndian(output.AsSpan(offset));
            Assert.True(output.Length - offset - 4 >= length, "a truncated frame at the end");
            frames.Add(Encoding.UTF8.GetString(output, offset + 4, length));
            offset += 4 + length;
        }

        return frames;
    }

    private static string[] ProblemLines(string message) =>
        [.. message.Split(Environment.NewLine).Where(line => line.StartsWith("  - ", StringComparison.Ordinal))];

    /// <summary>Echoes; a frame starting with "boom" sends "partial:" and its text, then throws.</summary>
    private static void EchoOrThrow(ReadOnlySequence<byte> frame, FrameReply<ReadOnlySequence<byte>> reply, List<string> handled)
    {
        string text = frame.Text();
        handled.Add(text);
        if (text.StartsWith("boom", StringComparison.Ordinal))
        {
            reply.Send(Bytes("partial:" + text));
            throw new InvalidOperationException("bug in " + text);
        }

        reply.Send(frame);
    }

    /// <summary>The raw application on the built-in codec (the read loop's own run), or on the same codec behind another type (the general decoder).</summary>
    private static WireframeAppBuilder<ReadOnlySequence<byte>> RawApp(bool generalPath, LengthDelimitedOptions? framing = null) =>
        generalPath
            ? WireframeApp.CreateBuilder<ReadOnlySequence<byte>>(new Delegating(new LengthDelimitedCodec(framing ?? new LengthDelimitedOptions())), RawFrameFormat.Instance)
            : WireframeApp.CreateRawBuilder(framing);

    private static async Task<Served> ServeAsync(WireframeAppBuilder<ReadOnlySequence<byte>> app, byte[] input, params int[] readEnds)
    {
        await using var host = WireframeTest.CreateHost(app);
        return await ServeAsync(host, input, readEnds);
    }

    /// <summary>Serves one connection whose input is <paramref name="input"/>, in one read or ending a read at each of <paramref name="readEnds"/>, then its end.</summary>
    private static async Task<Served> ServeAsync(WireframeTestHost<ReadOnlySequence<byte>> host, byte[] input, params int[] readEnds)
    {
        var context = new InMemoryConnectionContext();
        var output = new FlushRecordingWriter(context.Transport.Output);
        // Segment-backed, as a pipe's buffers are: the read loop's own run needs segments (an array-backed sequence always takes the general decoder).
        ReadOnlySequence<byte> all = Segments.At(input);
        PipeReader reader = readEnds.Length == 0 ? PipeReader.Create(all) : new SteppedReader(all, readEnds);
        context.Transport = new DuplexPipe(reader, output);
        Task<byte[]> received = DrainAsync(context.Application.Input);
        DisconnectInfo outcome = await host.Handler.ServeAsync(context).Within();
        return new Served(outcome, await received.Within(), output.Flushes);
    }

    /// <summary>
    /// Delivers a read (its run happens on this thread, inside <see cref="ManualReader.Deliver"/>), then
    /// lets the push pump hold the writer in a flush and sends from this same thread: the send must
    /// wait for the writer, since the run that once held it here is over. Blocks (boundedly) rather
    /// than awaits, to stay on one thread.
    /// </summary>
    private static (bool CompletedWhileHeld, DisconnectInfo Outcome, byte[] Received) SendAfterRunOnOneThread(WireframeTestHost<ReadOnlySequence<byte>> host)
    {
        var context = new InMemoryConnectionContext();
        var input = new ManualReader();
        var output = new FlushRecordingWriter(context.Transport.Output);
        context.Transport = new DuplexPipe(input, output);
        Task<DisconnectInfo> served = host.Handler.ServeAsync(context);
        Task<byte[]> received = DrainAsync(context.Application.Input);
        Assert.True(input.WaitingForBytesAsync().Wait(Safety));
        WireframeConnection<ReadOnlySequence<byte>> connection = Assert.IsType<WireframeConnection<ReadOnlySequence<byte>>>(context.Features.Get<WireframeConnection<ReadOnlySequence<byte>>>());
        input.Deliver(RawFrames("run"));

        Task flushHeld = output.HoldNextFlush();
        Assert.Equal(PushResult.Queued, connection.Pushes.TryPush(Bytes("push")));
        Assert.True(flushHeld.Wait(Safety));
        ValueTask<bool> send = connection.SendAsync(Bytes("later"));
        bool completedWhileHeld = send.IsCompleted;
        output.Release();

        Task<bool> sent = send.AsTask();
        Assert.True(sent.Wait(Safety));
        Assert.True(sent.Result);
        input.End();
        Assert.True(served.Wait(Safety));
        Assert.True(received.Wait(Safety));
        return (completedWhileHeld, served.Result, received.Result);
    }

    /// <summary>Reads exactly <paramref name="count"/> frames (4-byte big-endian prefix) from what the server sent.</summary>
    private static async Task<List<string>> ReadFramesAsync(PipeReader output, int count)
    {
        using var timeout = new CancellationTokenSource(Safety);
        var frames = new List<string>();
        while (true)
        {
            ReadResult result = await output.ReadAsync(timeout.Token);
            ReadOnlySequence<byte> buffer = result.Buffer;
            while (frames.Count < count && buffer.Length >= 4)
            {
                byte[] prefix = buffer.Slice(0, 4).ToArray();
                int length = (int)BinaryPrimitives.ReadUInt32BigEndian(prefix);
                if (buffer.Length < 4 + length)
                {
                    break;
                }

                frames.Add(Encoding.UTF8.GetString(buffer.Slice(4, length)));
                buffer = buffer.Slice(4 + length);
            }

            output.AdvanceTo(buffer.Start, result.Buffer.End);
            if (frames.Count == count)
            {
                return frames;
            }

            Assert.False(result.IsCompleted, $"The server closed after {frames.Count} of {count} frames.");
        }
    }

    private static async Task<List<byte[]>> EchoOverTcpAsync(WireframeAppBuilder<ReadOnlySequence<byte>> app, byte[] request, int count)
    {
        await using var server = await TcpTestServer.StartAsync(app);
        await using var client = await FrameSocket.ConnectAsync(server.EndPoint);

        // Sent while the answers are read, so neither side waits for the other's buffers.
        Task sending = client.SendAsync(request);
        var answers = new List<byte[]>();
        for (int i = 0; i < count; i++)
        {
            answers.Add(await client.ReadFrameAsync() ?? throw new InvalidOperationException($"The server closed after {i} answers."));
        }

        await sending.Within();
        client.Socket.Shutdown(System.Net.Sockets.SocketShutdown.Send);
        Assert.Empty(await client.ReadToEndAsync());
        return answers;
    }

    private sealed record Served(DisconnectInfo Outcome, byte[] Output, long[] Flushes)
    {
        public long[] NonEmptyFlushes => [.. Flushes.Where(bytes => bytes > 0)];
    }

    private sealed record Note(string Text);

    private sealed record Unserializable(int Seed = 0)
    {
        public int Value => Seed == 0 ? throw new InvalidOperationException("not serializable") : Seed;
    }

    private sealed class NoHooks : IWireframeProtocol<ReadOnlySequence<byte>>
    {
    }

    /// <summary>The built-in codec behind an interface of its own: the read loop cannot recognise it, so frames come from the general decoder.</summary>
    private sealed class Delegating(LengthDelimitedCodec inner) : IFrameCodec<ReadOnlySequence<byte>>
    {
        public DecodeResult TryDecode(ref ReadOnlySequence<byte> input, out ReadOnlySequence<byte> frame) => inner.TryDecode(ref input, out frame);

        public void Encode(in ReadOnlySequence<byte> frame, IBufferWriter<byte> output) => inner.Encode(frame, output);

        public FrameEofKind ClassifyEof(in ReadOnlySequence<byte> remaining) => inner.ClassifyEof(remaining);
    }

    /// <summary>
    /// A transport reader the test feeds. A read waiting for bytes is completed on the test's own
    /// thread by <see cref="Deliver"/>, so the server has taken the bytes as far as it can without
    /// waiting by the time <see cref="Deliver"/> returns.
    /// </summary>
    private sealed class ManualReader : PipeReader
    {
        private readonly Lock _lock = new();
        private byte[] _unread = [];
        private ReadOnlySequence<byte> _lent;
        private bool _fresh;
        private bool _ended;
        private bool _cancelNext;
        private TaskCompletionSource<ReadResult>? _waiting;
        private TaskCompletionSource? _waitingSignal;

        /// <summary>Completes when a read is waiting for bytes (at once if one is).</summary>
        public Task WaitingForBytesAsync()
        {
            lock (_lock)
            {
                if (_waiting is not null)
                {
                    return Task.CompletedTask;
                }

                _waitingSignal ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                return _waitingSignal.Task;
            }
        }

        public void Deliver(byte[] bytes)
        {
            TaskCompletionSource<ReadResult>? waiting;
            ReadResult result = default;
            lock (_lock)
            {
                _unread = [.. _unread, .. bytes];
                _fresh = true;
                waiting = _waiting;
                _waiting = null;
                if (waiting is not null)
                {
                    result = Lend(canceled: false);
                }
            }

            waiting?.SetResult(result);
        }

        public void End()
        {
            TaskCompletionSource<ReadResult>? waiting;
            ReadResult result = default;
            lock (_lock)
            {
                _ended = true;
                waiting = _waiting;
                _waiting = null;
                if (waiting is not null)
                {
                    result = Lend(canceled: false);
                }
            }

            waiting?.SetResult(result);
        }

        public override ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default)
        {
            lock (_lock)
            {
                if (_cancelNext || _fresh || _ended)
                {
                    bool canceled = _cancelNext;
                    _cancelNext = false;
                    return new ValueTask<ReadResult>(Lend(canceled));
                }

                // Completed by Deliver or End on their caller's thread: no RunContinuationsAsynchronously.
                _waiting = new TaskCompletionSource<ReadResult>();
                _waitingSignal?.TrySetResult();
                _waitingSignal = null;
                return new ValueTask<ReadResult>(_waiting.Task);
            }
        }

        public override bool TryRead(out ReadResult result)
        {
            lock (_lock)
            {
                if (_cancelNext || _fresh || _ended)
                {
                    bool canceled = _cancelNext;
                    _cancelNext = false;
                    result = Lend(canceled);
                    return true;
                }

                result = default;
                return false;
            }
        }

        public override void AdvanceTo(SequencePosition consumed) => AdvanceTo(consumed, consumed);

        public override void AdvanceTo(SequencePosition consumed, SequencePosition examined)
        {
            lock (_lock)
            {
                long taken = _lent.Slice(_lent.Start, consumed).Length;
                long seen = _lent.Slice(_lent.Start, examined).Length;
                _unread = _unread[(int)taken..];
                if (seen < _lent.Length && _unread.Length > 0)
                {
                    _fresh = true;
                }
            }
        }

        public override void CancelPendingRead()
        {
            TaskCompletionSource<ReadResult>? waiting;
            ReadResult result = default;
            lock (_lock)
            {
                waiting = _waiting;
                _waiting = null;
                if (waiting is null)
                {
                    _cancelNext = true;
                }
                else
                {
                    result = Lend(canceled: true);
                }
            }

            if (waiting is not null)
            {
                // Called by the connection on its own threads: the read resumes elsewhere, as a pipe's would.
                _ = Task.Run(() => waiting.SetResult(result));
            }
        }

        public override void Complete(Exception? exception = null)
        {
        }

        private ReadResult Lend(bool canceled)
        {
            _fresh = false;
            _lent = Segments.At(_unread);
            return new ReadResult(_lent, canceled, _ended);
        }
    }
}
