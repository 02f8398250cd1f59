using System.Buffers;
using System.Collections.Concurrent;
using Wireframe.Messages;
using Wireframe.Routing;
using Wireframe.Serialization;
using Wireframe.Testing;
using Wireframe.Tests.Connections;
using Wireframe.Tests.Routing;
using static Wireframe.Tests.Connections.TestKit;

namespace Wireframe.Tests.Serialization;

public sealed class BinaryMessageTests
{
    private static WireframeAppBuilder<Envelope> App(ConcurrentQueue<Exception> errors)
    {
        var app = WireframeApp.CreateBuilder().OnRequestError(async (ctx, ex) =>
        {
            errors.Enqueue(ex);
            await ctx.ReplyAsync(500, Utf8(ex.Message));
        });
        app.Route<Ping, Pong>(1, (ping, _) => new Pong(ping.Value + 1));
        return app;
    }

    [Fact]
    public async Task A_binary_message_round_trips_through_its_own_read_and_write()
    {
        await using var host = WireframeTest.CreateHost(App([]));
        await using var client = host.Connect();

        await client.SendAsync(1, new Ping(0xFFFF_FFFE), 1);

        Envelope reply = await client.NextFrameAsync();
        Assert.Equal(new byte[] { 0xFF, 0xFF, 0xFF, 0xFF }, reply.Payload.ToArray());
    }

    [Theory]
    [InlineData(new byte[] { 0, 0, 0, 1, 9 }, "trailing bytes")]
    [InlineData(new byte[] { 0, 0, 1 }, "Ping needs 4 bytes")]
    public async Task A_payload_with_trailing_or_missing_bytes_fails_only_its_request(byte[] payload, string reason)
    {
        ConcurrentQueue<Exception> errors = new();
        await using var host = WireframeTest.CreateHost(App(errors));
        await using var client = host.Connect();

        await client.SendFrameAsync(new Envelope(1, 1, payload.AsMemory()));
        await client.SendAsync(1, new Ping(41), 2);

        Envelope error = await client.NextFrameAsync();
        Assert.Equal((500u, (ulong?)1), (error.MessageId, error.CorrelationId));
        Assert.Contains(reason, error.Text(), StringComparison.Ordinal);
        Envelope reply = await client.NextFrameAsync();
        Assert.Equal(new Pong(42), host.Application.GetFormatter<Pong>().Deserialize(reply.Payload));
        await client.AssertNothingMoreThenCleanCloseAsync();
        Assert.IsType<MessageFormatException>(Assert.Single(errors));
    }

    [Fact]
    public void A_multi_segment_payload_is_read_like_a_contiguous_one()
    {
        IMessageFormatter<Ping> formatter = BinaryMessageSerializer.Instance.GetFormatter<Ping>()!;

        Ping ping = formatter.Deserialize(Wireframe.Tests.Support.Segments.Split([0x12, 0x34, 0x56, 0x78], [1, 3]));

        Assert.Equal(new Ping(0x12345678), ping);
    }

    [Fact]
    public void Types_that_are_not_binary_messages_are_left_to_other_serializers()
    {
        Assert.Null(BinaryMessageSerializer.Instance.GetFormatter<string>());
        Assert.Null(BinaryMessageSerializer.Instance.GetFormatter<Unserializable>());
    }
}
