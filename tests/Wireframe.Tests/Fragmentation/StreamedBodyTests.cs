using System.Buffers;
using System.IO.Pipelines;
using System.Security.Cryptography;
using Wireframe.Connections;
using Wireframe.Fragmentation;
using Wireframe.Framing;
using Wireframe.Messages;
using Wireframe.Routing;
using Wireframe.Testing;
using Wireframe.Tests.Support;
using static Wireframe.Tests.Fragmentation.FragmentKit;

namespace Wireframe.Tests.Fragmentation;

/// <summary>Handlers that take a <see cref="MessageBody"/> read large messages as their fragments arrive.</summary>
public sealed class StreamedBodyTests
{
    [Fact]
    public async Task A_split_message_reaches_a_body_handler_as_a_stream_without_being_reassembled()
    {
        var app = BodyApp(cap: 1024, HashBody);
        await using var host = WireframeTest.CreateHost(app);
        await using var client = host.Connect();
        byte[] content = Payloads.Random(300_000, seed: 21);

        await client.SendFragmentsAsync(Message(Upload, content, correlationId: 5));
        Envelope reply = await client.ReadMessageAsync().AsTask().WaitAsync(Connections.TestKit.Safety);

        Assert.Equal(5UL, reply.CorrelationId);
        Assert.Equal(SHA256.HashData(content), reply.Payload.ToArray());
        Assert.Equal(0, client.InboundMemory.MessagesReassembled);
        Assert.Equal(0, client.InboundMemory.BufferedBytes);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_whole_message_is_a_body_too_with_or_without_fragmentation(bool fragmentation)
    {
        var app = BodyApp(fragmentation ? 1024 : null, HashBody);
        await using var host = WireframeTest.CreateHost(app);
        await using var client = host.Connect();
        byte[] content = Payloads.Random(500, seed: 22);

        if (fragmentation)
        {
            await client.SendFragmentsAsync(Message(Upload, content));
        }
        else
        {
            await client.SendFrameAsync(Message(Upload, content));
        }

        Envelope reply = await client.ReadMessageAsync().AsTask().WaitAsync(Connections.TestKit.Safety);
        Assert.Equal(SHA256.HashData(content), reply.Payload.ToArray());
    }

    [Fact]
    public async Task A_handler_that_does_not_read_stops_the_socket_and_gets_everything_once_it_does()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var app = BodyApp(cap: 1024, async (body, _) =>
        {
            started.TrySetResult();
            await gate.Task;
            return await HashBody(body, _);
        }, options => options.StreamedBodyWindow = 1024);
        await using var host = WireframeTest.CreateHost(app);
        await using var client = host.Connect(new PipeOptions(pauseWriterThreshold: 4096, resumeWriterThreshold: 2048, useSynchronizationContext: false));
        byte[] content = Payloads.Random(100 * 1024, seed: 23);

        Task sending = client.SendFragmentsAsync(Message(Upload, content)).AsTask();
        await started.Task.WaitAsync(Connections.TestKit.Safety);

        // 100 KiB cannot pass a 1 KiB body window and a 4 KiB pipe while the handler reads nothing.
        await Task.WhenAny(sending, Task.Delay(300));
        Assert.False(sending.IsCompleted, "The whole body went through although its handler read nothing.");

        gate.SetResult();
        await sending.WaitAsync(Connections.TestKit.Safety);
        Envelope reply = await client.ReadMessageAsync().AsTask().WaitAsync(Connections.TestKit.Safety);
        Assert.Equal(SHA256.HashData(content), reply.Payload.ToArray());
    }

    [Fact]
    public async Task A_broken_series_surfaces_to_the_handler_and_with_DropFrame_the_connection_goes_on()
    {
        var failures = new List<string>();
        var app = BodyApp(cap: 100, HashOrRecordFailure(reason =>
        {
            lock (failures)
            {
                failures.Add(reason);
            }
        }), options => options.ReassemblyErrorAction = FrameErrorAction.DropFrame);
        await using var host = WireframeTest.CreateHost(app);
        await using var client = host.Connect();
        IReadOnlyList<byte[]> fragments = client.EncodeFragments(Message(Upload, new byte[500]), messageKey: 1);

        await client.SendRawAsync(fragments[0]);
        await client.SendRawAsync(fragments[1]);
        await client.SendRawAsync(fragments[3]);
        Envelope broken = await client.ReadMessageAsync().AsTask().WaitAsync(Connections.TestKit.Safety);

        Assert.True(broken.Payload.IsEmpty);
        Assert.Contains("skipped an index", Assert.Single(failures), StringComparison.Ordinal);
        byte[] content = Payloads.Random(450, seed: 24);
        await client.SendFragmentsAsync(Message(Upload, content), messageKey: 2);
        Envelope good = await client.ReadMessageAsync().AsTask().WaitAsync(Connections.TestKit.Safety);
        Assert.Equal(SHA256.HashData(content), good.Payload.ToArray());
    }

    [Fact]
    public async Task A_body_cut_off_by_ReassemblyTimeout_surfaces_to_the_handler()
    {
        var failure = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        long read = 0;
        var app = BodyApp(cap: 100, async (body, context) =>
        {
            try
            {
                await foreach (ReadOnlyMemory<byte> block in body.ReadChunksAsync(context.RequestAborted))
                {
                    Interlocked.Add(ref read, block.Length);
                }

                return [];
            }
            catch (MessageBodyException ex)
            {
                failure.TrySetResult(ex.Message);
                return [];
            }
        }, options => options.ReassemblyTimeout = TimeSpan.FromSeconds(5));
        await using var host = WireframeTest.CreateHost(app);
        await using var client = host.Connect();

        // Both fragments in the handler's hands before the clock moves: a second fragment arriving
        // after the eviction would be refused (and close the connection) instead.
        await client.SendFragmentsAsync(Message(Upload, new byte[500]), fragmentCount: 2);
        await WaitUntilAsync(() => Interlocked.Read(ref read) == 200, "both fragments read by the handler");
        host.Time.Advance(TimeSpan.FromSeconds(5));

        string reason = await failure.Task.WaitAsync(Connections.TestKit.Safety);
        Assert.Contains("ReassemblyTimeout", reason, StringComparison.Ordinal);
        await WaitUntilAsync(() => client.InboundMemory.Evictions == 1, "the eviction counted");
    }

    [Fact]
    public async Task A_connection_closing_mid_body_surfaces_to_the_handler_before_teardown()
    {
        var failure = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var app = BodyApp(cap: 100, async (body, context) =>
        {
            try
            {
                return await HashBody(body, context);
            }
            catch (MessageBodyException ex)
            {
                failure.TrySetResult(ex.Message);
                throw;
            }
        });
        await using var host = WireframeTest.CreateHost(app);
        await using var client = host.Connect();

        await client.SendFragmentsAsync(Message(Upload, new byte[500]), fragmentCount: 3);
        await WaitUntilAsync(() => host.Time.PendingTimers > 0, "the body started");
        await client.CompleteAsync();

        DisconnectInfo closed = await ClosedAsync(client);
        Assert.True(failure.Task.IsCompleted, "The connection ended before the body's handler learned of it.");
        Assert.Contains("closed before", await failure.Task, StringComparison.Ordinal);
        Assert.Equal(DisconnectReason.PeerClosed, closed.Reason);
    }

    [Fact]
    public async Task A_body_above_MaxStreamedBodySize_breaks_off_but_may_exceed_MaxMessageSize()
    {
        var outcomes = new List<string>();
        var app = BodyApp(cap: 1000, async (body, context) =>
        {
            try
            {
                byte[] hash = await HashBody(body, context);
                lock (outcomes)
                {
                    outcomes.Add("ok");
                }

                return hash;
            }
            catch (MessageBodyException ex)
            {
                lock (outcomes)
                {
                    outcomes.Add(ex.Message);
                }

                return [];
            }
        }, options =>
        {
            options.MaxMessageSize = 2000;
            options.MaxBufferedBytesPerConnection = 2000;
            options.MaxStreamedBodySize = 10_000;
            options.ReassemblyErrorAction = FrameErrorAction.DropFrame;
        });
        await using var host = WireframeTest.CreateHost(app);
        await using var client = host.Connect();

        await client.SendFragmentsAsync(Message(Upload, new byte[8_000]), messageKey: 1);
        await client.ReadMessageAsync().AsTask().WaitAsync(Connections.TestKit.Safety);
        await client.SendFragmentsAsync(Message(Upload, new byte[12_000]), messageKey: 2);
        await client.ReadMessageAsync().AsTask().WaitAsync(Connections.TestKit.Safety);

        Assert.Equal("ok", outcomes[0]);
        Assert.Contains("MaxStreamedBodySize (10000 bytes)", outcomes[1], StringComparison.Ordinal);
    }

    /// <summary>Hashes the body, or records why it broke off and answers with an empty payload.</summary>
    private static Func<MessageBody, RequestContext, ValueTask<byte[]>> HashOrRecordFailure(Action<string> failed) => async (body, context) =>
    {
        try
        {
            return await HashBody(body, context);
        }
        catch (MessageBodyException ex)
        {
            failed(ex.Message);
            return [];
        }
    };

    private static async ValueTask<byte[]> HashBody(MessageBody body, RequestContext context)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        await foreach (ReadOnlyMemory<byte> block in body.ReadChunksAsync(context.RequestAborted))
        {
            hash.AppendData(block.Span);
        }

        return hash.GetHashAndReset();
    }

    private static WireframeAppBuilder<Envelope> BodyApp(int? cap, Func<MessageBody, RequestContext, ValueTask<byte[]>> handler, Action<WireframeOptions>? configure = null)
    {
        var app = WireframeApp.CreateBuilder(new LengthDelimitedOptions { MaxFrameLength = 1 << 20 });
        if (cap is int size)
        {
            app.UseFragmentation(size);
        }

        if (configure is not null)
        {
            app.Configure(configure);
        }

        app.Route(Upload, handler);
        return app;
    }
}
