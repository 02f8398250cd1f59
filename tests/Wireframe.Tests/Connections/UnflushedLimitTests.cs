using System.Buffers;
using System.IO.Pipelines;
using Wireframe.Connections;
using Wireframe.Messages;
using Wireframe.Testing;
using Wireframe.Tests.Support;
using static Wireframe.Tests.Connections.TestKit;

namespace Wireframe.Tests.Connections;

/// <summary>
/// <see cref="WireframeOptions.MaxUnflushedBytes"/> bounds what a connection buffers between flushes,
/// whatever writer the transport hands over: the writer counts the bytes itself, so a transport
/// whose <see cref="PipeWriter"/> cannot report unflushed bytes is bounded as well.
/// </summary>
public sealed class UnflushedLimitTests
{
    private const int Limit = 1024;
    private const int ChunkSize = 300;
    private const int Chunks = 10;

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Writes_of_one_request_are_flushed_whenever_the_limit_is_reached(bool writerReportsUnflushedBytes)
    {
        var app = WireframeApp.CreateBuilder().Configure(o => o.MaxUnflushedBytes = Limit);
        app.Route<byte[], byte[]>(1, async (request, ctx) =>
        {
            for (int i = 0; i < Chunks; i++)
            {
                byte[] chunk = new byte[ChunkSize];
                chunk.AsSpan().Fill((byte)('a' + i));
                Assert.True(await ctx.Connection.SendRawAsync(chunk));
            }

            return request;
        });
        await using var host = WireframeTest.CreateHost(app);
        var context = new InMemoryConnectionContext();
        var recorder = new FlushRecordingWriter(context.Transport.Output, writerReportsUnflushedBytes);
        context.Transport = new DuplexPipe(context.Transport.Input, recorder);
        Task served = host.Handler.OnConnectedAsync(context);

        byte[] request = EncodeFrame(Frame(1, "done"));
        await context.Application.Output.WriteAsync(request);
        byte[] expected = [.. Enumerable.Range(0, Chunks).SelectMany(i => Enumerable.Repeat((byte)('a' + i), ChunkSize)), .. request];
        byte[] received = await ReadExactlyAsync(context.Application.Input, expected.Length);
        Assert.Equal(expected, received);

        await context.Application.Output.CompleteAsync();
        await served;

        // Every flush but the last carries at least the limit and at most one write beyond it;
        // nothing waited for the end of the request.
        long[] flushes = recorder.FlushedBytes.Where(b => b > 0).ToArray();
        Assert.Equal(expected.Length, flushes.Sum());
        Assert.True(flushes.Length >= (Chunks * ChunkSize) / (Limit + ChunkSize), $"flushes: {string.Join(", ", flushes)}");
        Assert.All(flushes[..^1], bytes => Assert.InRange(bytes, Limit, Limit + ChunkSize - 1));
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

    /// <summary>A transport writer that records how many bytes each flush carried, and may hide its unflushed count.</summary>
    private sealed class FlushRecordingWriter(PipeWriter inner, bool reportsUnflushedBytes) : PipeWriter
    {
        private long _advanced;

        public List<long> FlushedBytes { get; } = [];

        public override bool CanGetUnflushedBytes => reportsUnflushedBytes;

        public override long UnflushedBytes => reportsUnflushedBytes ? _advanced : throw new NotSupportedException();

        public override void Advance(int bytes)
        {
            _advanced += bytes;
            inner.Advance(bytes);
        }

        public override Memory<byte> GetMemory(int sizeHint = 0) => inner.GetMemory(sizeHint);

        public override Span<byte> GetSpan(int sizeHint = 0) => inner.GetSpan(sizeHint);

        public override void CancelPendingFlush() => inner.CancelPendingFlush();

        public override void Complete(Exception? exception = null) => inner.Complete(exception);

        public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default)
        {
            lock (FlushedBytes)
            {
                FlushedBytes.Add(_advanced);
            }

            _advanced = 0;
            return inner.FlushAsync(cancellationToken);
        }
    }
}
