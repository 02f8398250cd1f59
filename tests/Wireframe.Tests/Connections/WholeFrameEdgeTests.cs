using System.Buffers;
using System.IO.Pipelines;
using Wireframe.Connections;
using Wireframe.Framing;
using Wireframe.Routing;
using Wireframe.Testing;
using Wireframe.Tests.Support;
using static Wireframe.Tests.Connections.TestKit;

namespace Wireframe.Tests.Connections;

/// <summary>Edges of the read loop's whole-frame run and of the writer gate inside the writer.</summary>
public sealed class WholeFrameEdgeTests
{
    [Fact]
    public async Task Bytes_of_a_dropped_frame_that_look_like_frames_are_discarded_across_reads()
    {
        // max 8: the oversized frame declares 9 bytes, which themselves look like two whole frames.
        byte[] hidden = [.. Prefix(1), (byte)'x', .. Prefix(0)];
        byte[] stream = [.. Prefix(1), (byte)'a', .. Prefix(9), .. hidden, .. Prefix(1), (byte)'b'];
        var handled = new List<string>();
        var app = WireframeApp.CreateRawBuilder(new LengthDelimitedOptions { MaxFrameLength = 8 })
            .Configure(o => o.OversizedFrameAction = FrameErrorAction.DropFrame);
        app.Route<ReadOnlySequence<byte>, ReadOnlySequence<byte>>(0, (frame, _) =>
        {
            handled.Add(frame.Text());
            return frame;
        });
        await using var host = WireframeTest.CreateHost(app);

        // Every split of the stream into two reads, each read in one segment.
        for (int cut = 1; cut < stream.Length; cut++)
        {
            handled.Clear();
            var context = new InMemoryConnectionContext();
            var reader = new SteppedReader(Segments.At(stream, cut), [cut]);
            context.Transport = new DuplexPipe(reader, context.Transport.Output);
            DisconnectInfo outcome = await host.Handler.ServeAsync(context).Within();
            Assert.Equal(DisconnectReason.PeerClosed, outcome.Reason);
            Assert.Equal(["a", "b"], handled);
        }
    }

    [Fact]
    public async Task A_raw_frame_above_MaxMessageSize_is_still_refused()
    {
        var handled = new List<string>();
        var app = WireframeApp.CreateRawBuilder(new LengthDelimitedOptions { MaxFrameLength = 100 })
            .Configure(o =>
            {
                o.MaxMessageSize = 4;
                o.MaxBufferedBytesPerConnection = 1024;
            });
        app.Route<ReadOnlySequence<byte>, ReadOnlySequence<byte>>(0, (frame, _) =>
        {
            handled.Add(frame.Text());
            return frame;
        });
        await using var host = WireframeTest.CreateHost(app);
        await using var client = host.Connect();
        await client.SendRawAsync((byte[])[.. Prefix(2), .. Utf8("ok"), .. Prefix(10), .. Utf8("0123456789"), .. Prefix(2), .. Utf8("k2")]);
        await client.CompleteAsync();
        await client.ClosedAsync();
        Assert.DoesNotContain("0123456789", handled);
        Assert.Equal("ok", handled[0]);
    }

    [Fact]
    public async Task Concurrent_senders_never_interleave_their_frames()
    {
        const int Senders = 8;
        const int PerSender = 300;
        var app = WireframeApp.CreateRawBuilder(new LengthDelimitedOptions { MaxFrameLength = 4096 });
        var started = new TaskCompletionSource<Task>(TaskCreationOptions.RunContinuationsAsynchronously);
        app.Route<ReadOnlySequence<byte>>(0, (frame, context) =>
        {
            var connection = (WireframeConnection<ReadOnlySequence<byte>>)context.Connection;
            started.TrySetResult(Task.WhenAll(Enumerable.Range(0, Senders).Select(s => Task.Run(async () =>
            {
                for (int i = 0; i < PerSender; i++)
                {
                    byte[] body = new byte[1 + ((s * 131 + i * 17) % 3000)];
                    body.AsSpan().Fill((byte)(s + 1));
                    Assert.True(await connection.SendAsync(new ReadOnlySequence<byte>(body)));
                }
            }))));
            return default;
        });
        await using var host = WireframeTest.CreateHost(app);
        await using var client = host.Connect();
        await client.SendRawAsync((byte[])[.. Prefix(1), (byte)'g']);

        var next = new int[Senders];
        Task<Task> sending = started.Task;
        for (int n = 0; n < Senders * PerSender; n++)
        {
            ReadOnlySequence<byte> frame = await client.ReadFrameAsync().Within();
            byte[] bytes = frame.ToArray();
            int s = bytes[0] - 1;
            Assert.All(bytes, b => Assert.Equal(bytes[0], b));
            Assert.Equal(1 + ((s * 131 + next[s] * 17) % 3000), bytes.Length);
            next[s]++;
        }

        await (await sending.Within()).Within();
    }
}
