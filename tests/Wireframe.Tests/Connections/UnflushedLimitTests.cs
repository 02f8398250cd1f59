using System.Buffers;
using System.IO.Pipelines;
using Wireframe.Connections;
using Wireframe.Messages;
using Wireframe.Outbound;
using Wireframe.Testing;
using Wireframe.Tests.Support;
using static Wireframe.Tests.Connections.TestKit;

namespace Wireframe.Tests.Connections;

/// <summary>
/// <see cref="WireframeOptions.MaxUnflushedBytes"/> bounds what a connection buffers between flushes,
/// whatever writer the transport hands over: the writer counts the bytes itself, so a transport
/// whose <see cref="PipeWriter"/> cannot report unflushed bytes is bounded as well. Sends that
/// promise a flush (<see cref="WireframeConnection.SendRawAsync"/>) do not wait for the limit.
/// </summary>
public sealed class UnflushedLimitTests
{
    private const int Limit = 1024;
    private const int ChunkSize = 300;
    private const int Chunks = 10;

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Responses_to_one_read_are_flushed_whenever_the_limit_is_reached(bool writerReportsUnflushedBytes)
    {
        var app = WireframeApp.CreateBuilder().Configure(o => o.MaxUnflushedBytes = Limit);
        app.Route<byte[], byte[]>(1, (request, _) => request);
        await using var host = WireframeTest.CreateHost(app);
        var context = new InMemoryConnectionContext();
        var recorder = new FlushRecordingWriter(context.Transport.Output, writerReportsUnflushedBytes);
        context.Transport = new DuplexPipe(context.Transport.Input, recorder);
        Task served = host.Handler.OnConnectedAsync(context);

        // Every request in one write, so the server reads them together and answers them in one batch.
        byte[] requests = [.. Enumerable.Range(0, Chunks).SelectMany(i => EncodeFrame(Frame(1, new string((char)('a' + i), ChunkSize))))];
        int frameSize = requests.Length / Chunks;
        await context.Application.Output.WriteAsync(requests);
        byte[] received = await ReadExactlyAsync(context.Application.Input, requests.Length);
        Assert.Equal(requests, received);

        await context.Application.Output.CompleteAsync();
        await served;

        // Every flush but the last carries at least the limit and at most one frame beyond it;
        // nothing waited for the end of the read.
        long[] flushes = recorder.Flushes.Where(b => b > 0).ToArray();
        Assert.Equal(requests.Length, flushes.Sum());
        Assert.True(flushes.Length >= requests.Length / (Limit + frameSize), $"flushes: {string.Join(", ", flushes)}");
        Assert.All(flushes[..^1], bytes => Assert.InRange(bytes, Limit, Limit + frameSize - 1));
    }

    [Fact]
    public async Task A_raw_greeting_from_connection_setup_reaches_a_peer_that_waits_for_it()
    {
        var app = WireframeApp.CreateBuilder().WithProtocol(new GreetingProtocol());
        app.Route<byte[], byte[]>(1, (request, _) => request);
        await using var host = WireframeTest.CreateHost(app);
        await using var client = host.Connect();

        // The client sends nothing: the greeting must not wait for a read loop flush.
        byte[] greeting = await client.ReadRawAsync(5).AsTask().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(Utf8("hello"), greeting);
    }

    private static byte[] EncodeFrame(Envelope frame)
    {
        var output = new ArrayBufferWriter<byte>();
        new EnvelopeCodec().Encode(frame, output);
        return output.WrittenSpan.ToArray();
    }

    private static async Task<byte[]> ReadExactlyAsync(PipeReader reader, int count)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (true)
        {
            ReadResult result = await reader.ReadAsync(timeout.Token);
            if (result.Buffer.Length >= count || result.IsCompleted)
            {
                byte[] bytes = result.Buffer.Slice(0, Math.Min(count, result.Buffer.Length)).ToArray();
                reader.AdvanceTo(result.Buffer.GetPosition(bytes.Length));
                return bytes;
            }

            reader.AdvanceTo(result.Buffer.Start, result.Buffer.End);
        }
    }

    private sealed class GreetingProtocol : IWireframeProtocol<Envelope>
    {
        public async ValueTask OnConnectionSetupAsync(PushHandle<Envelope> pushes, WireframeConnection<Envelope> connection) =>
            Assert.True(await connection.SendRawAsync(Utf8("hello")));
    }

}
