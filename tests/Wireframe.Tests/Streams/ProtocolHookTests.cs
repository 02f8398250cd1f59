using System.Collections.Concurrent;
using System.Net;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using Wireframe.Connections;
using Wireframe.Framing;
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

public sealed class ProtocolHookTests
{
    private const uint EchoId = 1;
    private const uint SilentId = 2;
    private const uint RefuseId = 3;
    private const uint BugId = 4;
    private const uint FailingStreamId = 11;
    private const uint UnknownId = 77;

    private static async IAsyncEnumerable<Row> Rows(uint count, Exception? error = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        for (uint i = 0; i < count; i++)
        {
            await Task.Yield();
            cancellationToken.ThrowIfCancellationRequested();
            yield return new Row(i);
        }

        if (error is not null)
        {
            throw error;
        }
    }

    /// <summary>Echo, a handler with no response, a refusal (protocol error), a bug, a stream and a stream that fails after one row.</summary>
    private static WireframeAppBuilder<Envelope> App(RecordingProtocol protocol)
    {
        var app = WireframeApp.CreateBuilder().WithProtocol(protocol).MapMessageId<Row>(RowId);
        app.Route<byte[], byte[]>(EchoId, (request, _) => request);
        app.Route<byte[]>(SilentId, (_, _) => ValueTask.CompletedTask);
        Func<byte[], RequestContext, byte[]> refuse = (_, _) => throw new WireframeProtocolException("refused");
        app.Route(RefuseId, refuse);
        Func<byte[], RequestContext, byte[]> bug = (_, _) => throw new InvalidOperationException("bug");
        app.Route(BugId, bug);
        app.RouteStream<Query, Row>(QueryId, (query, ctx) => Rows(query.Count, cancellationToken: ctx.RequestAborted));
        app.RouteStream<Query, Row>(FailingStreamId, (query, ctx) => Rows(query.Count, new WireframeProtocolException("stream broke"), ctx.RequestAborted));
        return app;
    }

    [Fact]
    public async Task Connection_setup_runs_before_any_request_with_a_working_push_handle_and_the_connection_context()
    {
        var order = new ConcurrentQueue<string>();
        var seen = NewSignal<(ConnectionId Id, ConnectionId HandleId, EndPoint? Remote, object? Preamble, PushResult Greeting)>();
        var protocol = new RecordingProtocol
        {
            Setup = (pushes, connection) =>
            {
                order.Enqueue("setup");
                connection.Items["user"] = connection.Preamble;
                PushResult greeting = pushes.TryPush(PushId, Utf8($"welcome {connection.Preamble}"));
                seen.TrySetResult((connection.Id, pushes.ConnectionId, connection.RemoteEndPoint, connection.Preamble, greeting));
                return ValueTask.CompletedTask;
            },
        };
        var app = WireframeApp.CreateBuilder().WithProtocol(protocol).UsePreamble(new LinePreambleReader());
        app.Route<byte[], byte[]>(EchoId, (_, ctx) =>
        {
            order.Enqueue("request");
            return Utf8($"{ctx.Connection.Items["user"]} on {ctx.Connection.Id}");
        });
        await using var host = WireframeTest.CreateHost(app);
        await using var client = host.Connect();

        await client.SendRawAsync("HELLO alice\n"u8.ToArray());

        // Pushed from setup, before the client has asked anything.
        Envelope welcome = await client.NextFrameAsync();
        Assert.Equal((PushId, (ulong?)null, "welcome alice"), (welcome.MessageId, welcome.CorrelationId, welcome.Text()));
        var setup = await seen.Task.Within();
        Assert.Equal(PushResult.Queued, setup.Greeting);
        Assert.Equal(setup.Id, setup.HandleId);
        Assert.Equal(client.Context.RemoteEndPoint, setup.Remote);
        Assert.Equal("alice", setup.Preamble);

        await client.SendFrameAsync(Frame(EchoId, "who am i", 1));
        Assert.Equal($"alice on {setup.Id}", (await client.NextFrameAsync()).Text());
        await client.AssertNothingMoreThenCleanCloseAsync();
        Assert.Equal(["setup", "request"], order);
    }

    [Fact]
    public async Task BeforeSend_sees_and_may_change_every_frame_the_connection_sends()
    {
        const uint Shift = 100_000;
        var original = new ConcurrentQueue<(uint MessageId, ulong? CorrelationId)>();
        var protocol = new RecordingProtocol
        {
            Setup = (pushes, _) =>
            {
                pushes.TryPush(PushId, Utf8("pushed"));
                return ValueTask.CompletedTask;
            },
            BeforeSendHook = (ref Envelope frame, WireframeConnection<Envelope> _) =>
            {
                original.Enqueue((frame.MessageId, frame.CorrelationId));
                frame = frame with { MessageId = frame.MessageId + Shift };
            },
        };
        WireframeAppBuilder<Envelope> app = App(protocol)
            .OnConnected(async connection => await connection.SendAsync(5, Utf8("greeting")))
            .OnUnknownMessage(async ctx => await ctx.ReplyAsync(404, Utf8("no such message")));
        app.Route<byte[], byte[]?>(12, async (request, ctx) =>
        {
            await ((RequestContext<Envelope>)ctx).ReplyAsync(13, request);
            return null;
        });
        await using var host = WireframeTest.CreateHost(app);
        await using var client = host.Connect();

        await client.SendFrameAsync(Frame(EchoId, "echo", 1));
        await client.SendFrameAsync(Frame(12, "reply", 2));
        await client.SendAsync(QueryId, new Query(2), correlationId: 3);
        await client.SendFrameAsync(Frame(RefuseId, "", 4));
        await client.SendFrameAsync(Frame(UnknownId, "", 5));

        (uint, ulong?)[] expected =
        [
            (5, null), // greeting from the connected hook
            (PushId, null), // push
            (EchoId, 1), // response
            (13, 2), // ReplyAsync
            (RowId, 3), (RowId, 3), // stream items
            (RecordingProtocol.TerminatorId, 3), // terminator
            (RecordingProtocol.ErrorId, 4), // error frame
            (404, 5), // unknown-message reply
        ];
        var received = new List<(uint, ulong?)>();
        for (int i = 0; i < expected.Length; i++)
        {
            Envelope frame = await client.NextFrameAsync();
            Assert.True(frame.MessageId >= Shift, $"Frame {frame.MessageId} did not pass through BeforeSend.");
            received.Add((frame.MessageId - Shift, frame.CorrelationId));
        }

        await client.AssertNothingMoreThenCleanCloseAsync();
        Assert.Equal(expected.Order(), received.Order());
        Assert.Equal(expected.Order(), original.Select(f => (f.MessageId, f.CorrelationId)).Order());
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    public async Task OnCommandEnd_runs_once_for_every_request_however_it_ended(int concurrency)
    {
        var protocol = new RecordingProtocol();
        WireframeAppBuilder<Envelope> app = App(protocol).Configure(o =>
        {
            o.MaxConcurrentRequestsPerConnection = concurrency;
            o.HandlerExceptionPolicy = HandlerExceptionPolicy.FailRequest;
        });
        await using var host = WireframeTest.CreateHost(app);
        await using var client = host.Connect();

        await client.SendFrameAsync(Frame(EchoId, "echo", 1));
        await client.SendFrameAsync(Frame(SilentId, "", 2));
        await client.SendFrameAsync(Frame(RefuseId, "", 3));
        await client.SendFrameAsync(Frame(BugId, "", 4));
        await client.SendAsync(QueryId, new Query(2), correlationId: 5);
        await client.SendAsync(FailingStreamId, new Query(1), correlationId: 6);
        await client.SendFrameAsync(Frame(UnknownId, "", 7));
        await client.SendFrameAsync(Frame(EchoId, "last", 8));

        // echo, error frame, 2 rows + terminator, 1 row + error frame, echo
        for (int i = 0; i < 8; i++)
        {
            await client.NextFrameAsync();
        }

        await client.AssertNothingMoreThenCleanCloseAsync();
        (uint, ulong?)[] expected = [(EchoId, 1), (SilentId, 2), (RefuseId, 3), (BugId, 4), (QueryId, 5), (FailingStreamId, 6), (UnknownId, 7), (EchoId, 8)];
        IEnumerable<(uint, ulong?)> ended = protocol.CommandEnds.Select(c => (c.MessageId, c.CorrelationId));
        if (concurrency == 1)
        {
            Assert.Equal(expected, ended);
        }
        else
        {
            Assert.Equal(expected, ended.OrderBy(c => c.Item2));
        }
    }

    public static TheoryData<string, FrameEofKind, DisconnectReason> EofCases => new()
    {
        { "clean", FrameEofKind.Clean, DisconnectReason.PeerClosed },
        { "mid-header", FrameEofKind.MidHeader, DisconnectReason.PeerClosedMidFrame },
        { "mid-frame", FrameEofKind.MidFrame, DisconnectReason.PeerClosedMidFrame },
    };

    [Theory]
    [MemberData(nameof(EofCases))]
    public async Task OnEof_gets_how_the_input_ended_and_the_bytes_that_never_made_a_frame(string ending, FrameEofKind kind, DisconnectReason reason)
    {
        byte[] tail = ending switch
        {
            "clean" => [],
            "mid-header" => EnvelopeBytes(EchoId, "cut", 9)[..6],
            _ => EnvelopeBytes(EchoId, "cut in the payload", 9)[..20],
        };
        var protocol = new RecordingProtocol();
        await using var host = WireframeTest.CreateHost(App(protocol));
        await using var client = host.Connect();

        await client.SendRawAsync((byte[])[.. EnvelopeBytes(EchoId, "whole", 1), .. tail], chunkSize: 7);
        await client.CompleteAsync();

        Assert.Equal("whole", (await client.NextFrameAsync()).Text());
        DisconnectInfo info = await client.ClosedAsync();
        Assert.Equal((reason, (FrameEofKind?)kind), (info.Reason, info.Eof));
        (FrameEofKind seenKind, byte[] undecoded) = Assert.Single(protocol.Eofs);
        Assert.Equal(kind, seenKind);
        Assert.Equal(tail, undecoded);
    }

    [Fact]
    public async Task Protocol_errors_from_a_handler_or_an_unreadable_payload_become_error_frames_and_the_connection_goes_on()
    {
        var protocol = new RecordingProtocol();
        var app = WireframeApp.CreateBuilder().WithProtocol(protocol).MapMessageId<Row>(RowId);
        app.Route<Query, Row>(QueryId, (query, _) => query.Count == 0 ? throw new WireframeProtocolException("nothing to count") : new Row(query.Count));
        await using var host = WireframeTest.CreateHost(app);
        using var metrics = new MetricRecorder(host.Services);
        await using var client = host.Connect();

        await client.SendAsync(QueryId, new Query(0), correlationId: 1);
        await client.SendFrameAsync(new Envelope(QueryId, 2, new byte[] { 1, 2 }.AsMemory()));
        await client.SendAsync(QueryId, new Query(7), correlationId: 3);

        Envelope refused = await client.NextFrameAsync();
        Assert.Equal((RecordingProtocol.ErrorId, (ulong?)1, "nothing to count"), (refused.MessageId, refused.CorrelationId, refused.Text()));
        Envelope unreadable = await client.NextFrameAsync();
        Assert.Equal((RecordingProtocol.ErrorId, (ulong?)2, "Query needs 4 bytes."), (unreadable.MessageId, unreadable.CorrelationId, unreadable.Text()));
        Envelope answer = await client.NextFrameAsync();
        Assert.Equal((RowId, (ulong?)3, new Row(7)), (answer.MessageId, answer.CorrelationId, host.ReadRow(answer)));
        await client.AssertNothingMoreThenCleanCloseAsync();

        Assert.Equal([typeof(WireframeProtocolException), typeof(MessageFormatException)], protocol.ErrorFrameRequests.Select(e => e.Exception.GetType()));
        Assert.Equal(2, metrics.Sum(Errors, ErrorType, "protocol_error"));
    }

    [Fact]
    public async Task When_the_protocol_declines_to_make_an_error_frame_OnRequestError_answers_instead()
    {
        var protocol = new RecordingProtocol { ErrorFrames = false };
        WireframeAppBuilder<Envelope> app = App(protocol)
            .OnRequestError(async (ctx, ex) => await ctx.ReplyAsync(55, Utf8($"fallback: {ex.Message}")));
        await using var host = WireframeTest.CreateHost(app);
        await using var client = host.Connect();

        await client.SendFrameAsync(Frame(RefuseId, "", 1));

        Envelope fallback = await client.NextFrameAsync();
        Assert.Equal((55u, (ulong?)1, "fallback: refused"), (fallback.MessageId, fallback.CorrelationId, fallback.Text()));
        await client.AssertNothingMoreThenCleanCloseAsync();
        Assert.Single(protocol.ErrorFrameRequests);
    }

    [Theory]
    [InlineData(HandlerExceptionPolicy.CloseConnection)]
    [InlineData(HandlerExceptionPolicy.FailRequest)]
    public async Task A_bug_in_a_handler_never_becomes_an_error_frame_and_follows_the_handler_exception_policy(HandlerExceptionPolicy policy)
    {
        var requestErrors = new ConcurrentQueue<Exception>();
        var protocol = new RecordingProtocol();
        WireframeAppBuilder<Envelope> app = App(protocol)
            .Configure(o => o.HandlerExceptionPolicy = policy)
            .OnRequestError((_, ex) =>
            {
                requestErrors.Enqueue(ex);
                return ValueTask.CompletedTask;
            });
        using var logs = new LogCapture();
        await using var host = Host(app, logs);
        using var metrics = new MetricRecorder(host.Services);
        await using var client = host.Connect();

        await client.SendFrameAsync(Frame(BugId, "", 1));
        await client.SendFrameAsync(Frame(EchoId, "after", 2));

        if (policy == HandlerExceptionPolicy.CloseConnection)
        {
            Assert.Equal(DisconnectReason.HandlerFailed, (await client.ClosedAsync()).Reason);
            Assert.Empty(await client.ReadToEndAsync().Within());
            Assert.Empty(requestErrors);
        }
        else
        {
            Envelope echo = await client.NextFrameAsync();
            Assert.Equal(((ulong?)2, "after"), (echo.CorrelationId, echo.Text()));
            await client.AssertNothingMoreThenCleanCloseAsync();
            Assert.IsType<InvalidOperationException>(Assert.Single(requestErrors));
        }

        Assert.Empty(protocol.ErrorFrameRequests);
        Assert.Equal(1, metrics.Sum(Errors, ErrorType, "handler_exception"));
        Assert.Equal(LogLevel.Error, Assert.Single(logs.Wireframe(200)).Level);
    }

    [Theory]
    [InlineData("connection setup")]
    [InlineData("before send (response)")]
    [InlineData("before send (push)")]
    [InlineData("command end")]
    [InlineData("end of input")]
    [InlineData("error frame")]
    [InlineData("stream terminator")]
    public async Task A_protocol_hook_that_throws_closes_the_connection_as_HookFailed(string hook)
    {
        static Exception Boom() => new InvalidOperationException("hook bug");
        var protocol = new RecordingProtocol
        {
            Setup = hook == "connection setup" ? (_, _) => throw Boom() : null,
            BeforeSendHook = (ref Envelope frame, WireframeConnection<Envelope> _) =>
            {
                if ((hook == "before send (response)" && frame.MessageId == EchoId) || (hook == "before send (push)" && frame.MessageId == PushId))
                {
                    throw Boom();
                }
            },
            CommandEnd = hook == "command end" ? _ => throw Boom() : null,
            Eof = hook == "end of input" ? _ => throw Boom() : null,
            OnErrorFrame = hook == "error frame" ? () => throw Boom() : null,
            OnTerminator = hook == "stream terminator" ? () => throw Boom() : null,
        };
        using var logs = new LogCapture();
        await using var host = Host(App(protocol), logs);
        using var metrics = new MetricRecorder(host.Services);
        await using var client = host.Connect();

        switch (hook)
        {
            case "before send (response)":
            case "command end":
                await client.SendFrameAsync(Frame(EchoId, "hi", 1));
                break;
            case "before send (push)":
                Assert.Equal(PushResult.Queued, (await protocol.FirstConnection.Within()).Pushes.TryPush(PushId, Utf8("push")));
                break;
            case "end of input":
                await client.CompleteAsync();
                break;
            case "error frame":
                await client.SendFrameAsync(Frame(RefuseId, "", 1));
                break;
            case "stream terminator":
                await client.SendAsync(QueryId, new Query(1), correlationId: 1);
                break;
        }

        DisconnectInfo info = await client.ClosedAsync();
        Assert.Equal(DisconnectReason.HookFailed, info.Reason);
        CapturedLog log = Assert.Single(logs.Wireframe(6));
        Assert.Equal(LogLevel.Error, log.Level);
        if (!hook.StartsWith("stream", StringComparison.Ordinal))
        {
            // diagnostics.md names these hooks in event 6; it has no name for the terminator hook.
            Assert.Equal(hook.Split(" (")[0], log["Hook"]);
        }

        Assert.Equal(1, metrics.Sum(Errors, ErrorType, "hook_exception"));
        Assert.Equal(0, metrics.Sum(Errors, ErrorType, "handler_exception"));
    }
}
