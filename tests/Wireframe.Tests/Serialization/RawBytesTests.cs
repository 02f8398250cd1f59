using System.Buffers;
using Wireframe.Messages;
using Wireframe.Serialization;
using Wireframe.Testing;
using Wireframe.Tests.Connections;
using static Wireframe.Tests.Connections.TestKit;

namespace Wireframe.Tests.Serialization;

public sealed class RawBytesTests
{
    [Fact]
    public async Task Sequence_memory_and_array_requests_and_responses_pass_payloads_through_unchanged()
    {
        var app = WireframeApp.CreateBuilder();
        app.Route<ReadOnlySequence<byte>, ReadOnlySequence<byte>>(1, (payload, _) => payload);
        app.Route<ReadOnlyMemory<byte>, ReadOnlyMemory<byte>>(2, (payload, _) => payload);
        app.Route<byte[], byte[]>(3, (payload, _) => payload);
        app.Route<ReadOnlySequence<byte>, byte[]>(4, (payload, _) => payload.ToArray());
        await using var host = WireframeTest.CreateHost(app);
        await using var client = host.Connect();
        byte[] every = Enumerable.Range(0, 256).Select(i => (byte)i).ToArray();

        for (uint id = 1; id <= 4; id++)
        {
            await client.SendFrameAsync(new Envelope(id, id, every.AsMemory()));
        }

        for (uint id = 1; id <= 4; id++)
        {
            Envelope reply = await client.NextFrameAsync();
            Assert.Equal((id, (ulong?)id), (reply.MessageId, reply.CorrelationId));
            Assert.Equal(every, reply.Payload.ToArray());
        }

        await client.AssertNothingMoreThenCleanCloseAsync();
    }

    [Fact]
    public async Task An_empty_payload_is_an_empty_message_not_an_error()
    {
        var app = WireframeApp.CreateBuilder();
        app.Route<byte[], byte[]>(1, (payload, _) => Utf8($"{payload.Length} bytes"));
        await using var host = WireframeTest.CreateHost(app);
        await using var client = host.Connect();

        await client.SendFrameAsync(new Envelope(1, null, ReadOnlyMemory<byte>.Empty));

        Assert.Equal("0 bytes", (await client.NextFrameAsync()).Text());
    }

    [Fact]
    public async Task A_byte_array_request_is_a_copy_the_handler_may_keep_after_it_returns()
    {
        byte[]? kept = null;
        var app = WireframeApp.CreateBuilder();
        app.Route<byte[], byte[]?>(1, (payload, _) =>
        {
            byte[]? previous = kept;
            kept = payload;
            return previous;
        });
        await using var host = WireframeTest.CreateHost(app);
        await using var client = host.Connect();

        // Many frames through the same input buffer: a view of it would have been overwritten.
        for (int i = 0; i < 20; i++)
        {
            await client.SendFrameAsync(Frame(1, $"message {i:D2} " + new string((char)('a' + i), 100)));
        }

        for (int i = 0; i < 19; i++)
        {
            Assert.Equal($"message {i:D2} " + new string((char)('a' + i), 100), (await client.NextFrameAsync()).Text());
        }
    }

    [Fact]
    public void Other_types_are_left_to_other_serializers()
    {
        Assert.Null(RawBytesSerializer.Instance.GetFormatter<string>());
        Assert.Null(RawBytesSerializer.Instance.GetFormatter<Memory<byte>>());
        Assert.Null(RawBytesSerializer.Instance.GetFormatter<List<byte>>());
    }
}
