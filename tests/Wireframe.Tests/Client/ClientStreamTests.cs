using System.Buffers;
using System.Runtime.CompilerServices;
using Wireframe.Client;
using Wireframe.Messages;
using Wireframe.Outbound;
using Wireframe.Routing;
using Wireframe.Tests.Support;

namespace Wireframe.Tests.Client;

/// <summary>Streamed responses through the client over TCP: items, the terminator, errors, a lost connection, calls alongside.</summary>
public sealed class ClientStreamTests
{
    internal const uint Count = 1;
    internal const uint Echo = 2;
    internal const uint End = 99;
    internal const uint Failure = 98;
    private static readonly TimeSpan Safety = TimeSpan.FromSeconds(60);

    [Theory]
    [InlineData(3)]
    [InlineData(0)]
    public async Task A_stream_yields_its_items_and_ends_at_the_terminator(int items)
    {
        await using var server = await TcpTestServer.StartAsync(StreamApp());
        await using WireframeClient<Envelope> client = await Connect(server);

        var received = new List<byte>();
        await foreach (byte[] item in client.StreamAsync<byte[], byte[]>(Count, [(byte)items]).WithCancellation(CancellationToken.None))
        {
            received.Add(item[0]);
        }

        Assert.Equal(Enumerable.Range(0, items).Select(i => (byte)i), received);
        Assert.Equal(0, client.InFlight);
    }

    [Fact]
    public async Task A_server_that_disconnects_after_two_items_gives_two_items_then_an_error()
    {
        await using var server = await TcpTestServer.StartAsync(StreamApp());
        await using WireframeClient<Envelope> client = await Connect(server);
        var received = new List<byte>();

        // 5 items asked, and the server closes the connection after the second.
        await Assert.ThrowsAsync<WireframeConnectionLostException>(async () =>
        {
            await foreach (byte[] item in client.StreamAsync<byte[], byte[]>(Count, [5, 2]))
            {
                received.Add(item[0]);
            }
        }).WaitAsync(Safety);

        Assert.Equal([0, 1], received);
    }

    [Fact]
    public async Task An_error_frame_mid_stream_fails_it_and_calls_go_on_during_and_after_a_stream()
    {
        await using var server = await TcpTestServer.StartAsync(StreamApp());
        await using WireframeClient<Envelope> client = await Connect(server);

        // Calls are answered while a stream is half consumed.
        await using (IAsyncEnumerator<byte[]> stream = client.StreamAsync<byte[], byte[]>(Count, [3]).GetAsyncEnumerator())
        {
            Assert.True(await stream.MoveNextAsync().AsTask().WaitAsync(Safety));
            Assert.Equal([7], await client.CallAsync<byte[], byte[]>(Echo, [7]).AsTask().WaitAsync(Safety));
            Assert.True(await stream.MoveNextAsync().AsTask().WaitAsync(Safety));
            Assert.Equal(1, stream.Current[0]);
        }

        // 4 items asked, failing after 1 with a protocol error: one item, then the error frame's exception.
        var received = new List<byte>();
        InvalidOperationException error = await Assert.ThrowsAsync<InvalidOperationException>(async () =>
        {
            await foreach (byte[] item in client.StreamAsync<byte[], byte[]>(Count, [4, 1, 1]))
            {
                received.Add(item[0]);
            }
        }).WaitAsync(Safety);

        Assert.Equal([0], received);
        Assert.Equal("the server failed the stream", error.Message);
        Assert.Equal([8], await client.CallAsync<byte[], byte[]>(Echo, [8]).AsTask().WaitAsync(Safety));
    }

    private static async ValueTask<WireframeClient<Envelope>> Connect(TcpTestServer server) =>
        await WireframeClient.CreateBuilder()
            .UseStreamTerminator(frame => frame.MessageId == End)
            .UseErrorFrames(frame => frame.MessageId == Failure ? new InvalidOperationException("the server failed the stream") : null)
            .ConnectAsync("127.0.0.1", server.Port);

    /// <summary>Message <see cref="Count"/> [n, closeAfter?, failAfter?] streams n one-byte items; <see cref="Echo"/> echoes.</summary>
    internal static WireframeAppBuilder<Envelope> StreamApp()
    {
        var app = WireframeApp.CreateBuilder().WithProtocol(new Terminating());
        app.RouteStream<byte[], byte[]>(Count, (request, context) => Items(request, context));
        app.Route<ReadOnlySequence<byte>, byte[]>(Echo, (payload, _) => payload.ToArray());
        return app;

        static async IAsyncEnumerable<byte[]> Items(byte[] request, RequestContext context, [EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            for (byte i = 0; i < request[0]; i++)
            {
                if (request.Length > 1 && i == request[1])
                {
                    if (request.Length > 2)
                    {
                        throw new WireframeProtocolException("failing the stream");
                    }

                    context.Connection.Close();
                    await Task.Delay(Timeout.Infinite, context.RequestAborted);
                }

                yield return [i];
                await Task.Yield();
            }
        }
    }

    private sealed class Terminating : IWireframeProtocol<Envelope>
    {
        public bool TryCreateStreamTerminator(RequestContext<Envelope> context, out Envelope frame)
        {
            frame = new Envelope(End, context.CorrelationId, ReadOnlySequence<byte>.Empty);
            return true;
        }

        public bool TryCreateErrorFrame(RequestContext<Envelope> context, Exception exception, out Envelope frame)
        {
            frame = new Envelope(Failure, context.CorrelationId, ReadOnlySequence<byte>.Empty);
            return true;
        }
    }
}
