using System.IO.Pipelines;
using Wireframe.Connections;
using Wireframe.Framing;
using Wireframe.Messages;
using Wireframe.Routing;
using Wireframe.Testing;
using static Wireframe.Tests.Connections.TestKit;

namespace Wireframe.Tests.Connections;

public sealed class OutboundTests
{
    [Fact]
    public async Task Frames_pushed_from_another_task_interleave_whole_with_responses()
    {
        const int pushes = 200;
        var app = WireframeApp.CreateBuilder().OnConnected(conn =>
        {
            // A server push loop running beside the request loop, on the same writer.
            _ = Task.Run(async () =>
            {
                for (int i = 0; i < pushes; i++)
                {
                    await conn.SendAsync(700, Utf8($"push {i}"));
                }
            });
            return ValueTask.CompletedTask;
        });
        app.Route<byte[], byte[]>(1, async (request, _) =>
        {
            await Task.Yield();
            return request;
        });
        await using var host = WireframeTest.CreateHost(app);
        await using var client = host.Connect();

        for (int i = 0; i < pushes; i++)
        {
            await client.SendFrameAsync(Frame(1, $"echo {i}", (ulong)i));
        }

        var pushed = new List<string>();
        var echoed = new List<string>();
        for (int i = 0; i < 2 * pushes; i++)
        {
            Envelope frame = await client.NextFrameAsync();
            (frame.MessageId == 700 ? pushed : echoed).Add(frame.Text());
        }

        Assert.Equal(Enumerable.Range(0, pushes).Select(i => $"push {i}"), pushed);
        Assert.Equal(Enumerable.Range(0, pushes).Select(i => $"echo {i}"), echoed);
    }

    [Theory]
    [InlineData(HandlerExceptionPolicy.CloseConnection)]
    [InlineData(HandlerExceptionPolicy.FailRequest)]
    public async Task A_response_above_the_maximum_fails_its_request_without_corrupting_the_stream(HandlerExceptionPolicy policy)
    {
        Exception? failure = null;
        var app = WireframeApp.CreateBuilder(new LengthDelimitedOptions { MaxFrameLength = 64 })
            .Configure(o => o.HandlerExceptionPolicy = policy)
            .OnRequestError((_, ex) =>
            {
                failure = ex;
                return ValueTask.CompletedTask;
            });
        app.Route<byte[], byte[]>(1, (request, _) => request.Length == 1 ? new byte[100] : request);
        await using var host = WireframeTest.CreateHost(app);
        await using var client = host.Connect();

        await client.SendFrameAsync(Frame(1, "before"));
        await client.SendFrameAsync(Frame(1, "!"));
        await client.SendFrameAsync(Frame(1, "after"));

        Assert.Equal("before", (await client.NextFrameAsync()).Text());
        if (policy == HandlerExceptionPolicy.FailRequest)
        {
            Assert.Equal("after", (await client.NextFrameAsync()).Text());
            Assert.Contains("LengthDelimitedOptions.MaxFrameLength", failure?.Message, StringComparison.Ordinal);
            await client.AssertNothingMoreThenCleanCloseAsync();
        }
        else
        {
            DisconnectInfo info = await client.ClosedAsync();
            Assert.Equal(DisconnectReason.HandlerFailed, info.Reason);
            Assert.Contains("LengthDelimitedOptions.MaxFrameLength", info.Detail, StringComparison.Ordinal);
            Assert.Empty(await client.ReadToEndAsync().Within());
        }
    }

    [Fact]
    public async Task A_peer_that_stops_reading_cannot_wedge_shutdown_past_the_drain_deadline()
    {
        var handling = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var app = WireframeApp.CreateBuilder().Configure(o => o.ShutdownDrainTimeout = TimeSpan.FromSeconds(3));
        app.Route<byte[], byte[]>(1, (_, _) =>
        {
            handling.TrySetResult();
            return new byte[16 * 1024];
        });
        await using var host = WireframeTest.CreateHost(app);

        // Tiny pipe thresholds: the server's flush waits as soon as the client stops reading.
        var pipes = new PipeOptions(pauseWriterThreshold: 1024, resumeWriterThreshold: 512, useSynchronizationContext: false);
        await using var client = host.Connect(pipes);
        await client.SendFrameAsync(Frame(1, "flood"));

        // Shut down only once the request is in hand; before that the connection is merely idle
        // and would close at once with ServerShutdown, which is another test's subject.
        await handling.Task.Within();
        Task<bool> shutdown = host.ShutdownAsync();
        host.Time.Advance(TimeSpan.FromSeconds(3));

        Assert.Equal(DisconnectReason.DrainTimeout, (await client.ClosedAsync()).Reason);
        Assert.True(await shutdown.Within());
    }

    [Fact]
    public async Task In_concurrent_mode_eof_waits_for_in_flight_requests_and_delivers_their_responses()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var app = WireframeApp.CreateBuilder().Configure(o => o.MaxConcurrentRequestsPerConnection = 3);
        app.Route<byte[], byte[]>(1, async (request, _) =>
        {
            await release.Task;
            return request;
        });
        await using var host = WireframeTest.CreateHost(app);
        await using var client = host.Connect();

        await client.SendRawAsync((byte[])[.. EnvelopeBytes(1, "a", 1), .. EnvelopeBytes(1, "b", 2), .. EnvelopeBytes(1, "c", 3)], chunkSize: 1);
        await client.CompleteAsync();
        release.SetResult();

        var texts = new List<string>();
        for (int i = 0; i < 3; i++)
        {
            texts.Add((await client.NextFrameAsync()).Text());
        }

        Assert.Equal(["a", "b", "c"], texts.Order());
        Assert.Equal(DisconnectReason.PeerClosed, (await client.ClosedAsync()).Reason);
        Assert.Empty(await client.ReadToEndAsync().Within());
    }

    [Fact]
    public async Task In_concurrent_mode_frames_sent_byte_by_byte_with_a_dropped_one_are_all_answered()
    {
        var app = WireframeApp.CreateBuilder(new LengthDelimitedOptions { MaxFrameLength = 64 })
            .Configure(o =>
            {
                o.MaxConcurrentRequestsPerConnection = 4;
                o.OversizedFrameAction = FrameErrorAction.DropFrame;
            });
        app.Route<byte[], byte[]>(1, (request, _) => request);
        await using var host = WireframeTest.CreateHost(app);
        await using var client = host.Connect();

        byte[] stream = [
            .. EnvelopeBytes(1, "one", 1),
            .. Prefix(100), .. new byte[100],
            .. EnvelopeBytes(1, "two", 2),
            .. MalformedEnvelopeBytes(),
            .. EnvelopeBytes(1, "three", 3)];
        await client.SendRawAsync(stream, chunkSize: 1);

        var answers = new Dictionary<ulong, string>();
        for (int i = 0; i < 3; i++)
        {
            Envelope frame = await client.NextFrameAsync();
            answers.Add(frame.CorrelationId!.Value, frame.Text());
        }

        Assert.Equal(new Dictionary<ulong, string> { [1] = "one", [2] = "two", [3] = "three" }, answers);
        await client.AssertNothingMoreThenCleanCloseAsync();
    }
}
