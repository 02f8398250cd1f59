using System.Buffers;
using Wireframe.Messages;
using Wireframe.Routing;
using Wireframe.Testing;
using Wireframe.Tests.Connections;
using static Wireframe.Tests.Connections.TestKit;

namespace Wireframe.Tests.Routing;

public sealed class ResponseTests
{
    [Fact]
    public async Task A_null_response_sends_nothing_and_the_connection_goes_on()
    {
        var app = WireframeApp.CreateBuilder();
        app.Route<byte[], byte[]?>(1, (request, _) => request.Length == 0 ? null : request);
        await using var host = WireframeTest.CreateHost(app);
        await using var client = host.Connect();

        await client.SendFrameAsync(Frame(1, "", 1));
        await client.SendFrameAsync(Frame(1, "something", 2));

        Envelope answer = await client.NextFrameAsync();
        Assert.Equal((ulong?)2, answer.CorrelationId);
        await client.AssertNothingMoreThenCleanCloseAsync();
    }

    [Fact]
    public async Task A_response_carries_its_mapped_message_id_or_else_the_request_id()
    {
        var app = WireframeApp.CreateBuilder().MapMessageId<Pong>(200);
        app.Route<Ping, Pong>(10, (ping, _) => new Pong(ping.Value + 1));
        app.Route<Ping, Ping>(11, (ping, _) => new Ping(ping.Value * 2));
        await using var host = WireframeTest.CreateHost(app);
        await using var client = host.Connect();

        await client.SendAsync(10, new Ping(41), 1);
        await client.SendAsync(11, new Ping(21), 2);

        Envelope pong = await client.NextFrameAsync();
        Assert.Equal(200u, pong.MessageId);
        Assert.Equal(new Pong(42), host.Application.GetFormatter<Pong>().Deserialize(pong.Payload));
        Envelope ping = await client.NextFrameAsync();
        Assert.Equal(11u, ping.MessageId);
        Assert.Equal(new Ping(42), host.Application.GetFormatter<Ping>().Deserialize(ping.Payload));
    }

    [Fact]
    public async Task The_correlation_id_is_echoed_when_present_and_absent_when_absent()
    {
        var app = WireframeApp.CreateBuilder();
        app.Route<byte[], byte[]>(1, (request, ctx) => Utf8(ctx.CorrelationId?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none"));
        await using var host = WireframeTest.CreateHost(app);
        await using var client = host.Connect();

        await client.SendFrameAsync(Frame(1, "", 0));
        await client.SendFrameAsync(Frame(1, ""));
        await client.SendFrameAsync(Frame(1, "", ulong.MaxValue));

        Envelope zero = await client.NextFrameAsync();
        Envelope none = await client.NextFrameAsync();
        Envelope max = await client.NextFrameAsync();
        Assert.Equal(((ulong?)0, "0"), (zero.CorrelationId, zero.Text()));
        Assert.Equal(((ulong?)null, "none"), (none.CorrelationId, none.Text()));
        Assert.Equal(((ulong?)ulong.MaxValue, "18446744073709551615"), (max.CorrelationId, max.Text()));
    }

    [Fact]
    public async Task A_frame_typed_handler_gets_the_whole_frame_and_its_frame_response_is_sent_as_is()
    {
        var app = WireframeApp.CreateBuilder();
        app.Route<Envelope, Envelope>(5, (frame, ctx) =>
            new Envelope(frame.MessageId + 1000, frame.CorrelationId + 1, Utf8($"{frame.MessageId}/{ctx.MessageId}/{frame.Text()}").AsMemory()));
        await using var host = WireframeTest.CreateHost(app);
        await using var client = host.Connect();

        await client.SendFrameAsync(Frame(5, "body", 41));

        Envelope answer = await client.NextFrameAsync();
        Assert.Equal((1005u, (ulong?)42, "5/5/body"), (answer.MessageId, answer.CorrelationId, answer.Text()));
    }

    [Fact]
    public async Task Raw_frames_are_all_message_id_0_without_correlation()
    {
        var app = WireframeApp.CreateRawBuilder();
        app.Route<ReadOnlySequence<byte>, byte[]>(0, (payload, ctx) => [.. "got "u8, .. payload.ToArray(), (byte)(ctx.CorrelationId.HasValue ? 'c' : '-')]);
        await using var host = WireframeTest.CreateHost(app);
        await using var client = host.Connect();

        await client.SendFrameAsync(new ReadOnlySequence<byte>("abc"u8.ToArray()));

        ReadOnlySequence<byte> answer = await client.ReadFrameAsync().Within();
        Assert.Equal("got abc-", answer.Text());
    }

    [Fact]
    public async Task Sync_async_and_no_reply_handlers_all_run_in_order()
    {
        var seen = new List<string>();
        var app = WireframeApp.CreateBuilder();
        app.Route<byte[], byte[]>(1, (request, _) =>
        {
            seen.Add("sync");
            return [.. "sync:"u8, .. request];
        });
        app.Route<byte[], byte[]>(2, async (request, _) =>
        {
            await Task.Yield();
            seen.Add("async");
            return [.. "async:"u8, .. request];
        });
        app.Route<byte[]>(3, async (request, _) =>
        {
            await Task.Yield();
            seen.Add("no-reply:" + System.Text.Encoding.UTF8.GetString(request));
        });
        await using var host = WireframeTest.CreateHost(app);
        await using var client = host.Connect();

        await client.SendFrameAsync(Frame(3, "a", 1));
        await client.SendFrameAsync(Frame(1, "b", 2));
        await client.SendFrameAsync(Frame(3, "c", 3));
        await client.SendFrameAsync(Frame(2, "d", 4));

        Envelope first = await client.NextFrameAsync();
        Envelope second = await client.NextFrameAsync();
        Assert.Equal(((ulong?)2, "sync:b"), (first.CorrelationId, first.Text()));
        Assert.Equal(((ulong?)4, "async:d"), (second.CorrelationId, second.Text()));
        await client.AssertNothingMoreThenCleanCloseAsync();
        Assert.Equal(["no-reply:a", "sync", "no-reply:c", "async"], seen);
    }

    [Fact]
    public async Task A_handler_can_send_several_replies_and_return_a_final_response()
    {
        var app = WireframeApp.CreateBuilder();
        app.Route<byte[], byte[]>(1, async (request, ctx) =>
        {
            var typed = (RequestContext<Envelope>)ctx;
            await typed.ReplyAsync(2, Utf8("progress 1"));
            await typed.ReplyAsync(2, Utf8("progress 2"));
            return Utf8("done");
        });
        await using var host = WireframeTest.CreateHost(app);
        await using var client = host.Connect();

        await client.SendFrameAsync(Frame(1, "go", 9));

        Envelope[] frames = [await client.NextFrameAsync(), await client.NextFrameAsync(), await client.NextFrameAsync()];
        Assert.Equal(["progress 1", "progress 2", "done"], frames.Select(f => f.Text()));
        Assert.All(frames, f => Assert.Equal((ulong?)9, f.CorrelationId));
        Assert.Equal([2u, 2u, 1u], frames.Select(f => f.MessageId));
    }
}
