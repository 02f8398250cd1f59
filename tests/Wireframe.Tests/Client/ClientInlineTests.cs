using System.Buffers;
using Wireframe.Client;
using Wireframe.Examples.Echo;
using Wireframe.Messages;
using Wireframe.Routing;
using Wireframe.Testing;
using Wireframe.Tests.Support;

namespace Wireframe.Tests.Client;

/// <summary>
/// <see cref="WireframeClientOptions.CompleteCallsInline"/>: callers resume on the receive loop, and the
/// requests they make there leave from the loop once the read is dispatched.
/// </summary>
public sealed class ClientInlineTests
{
    private static readonly TimeSpan Safety = TimeSpan.FromSeconds(60);

    [Theory]
    [InlineData(CorrelationMode.Correlated, true)]
    [InlineData(CorrelationMode.Fifo, true)]
    [InlineData(CorrelationMode.Fifo, false)]
    public async Task Callers_that_keep_calling_each_get_their_own_responses_and_none_is_left_in_flight(CorrelationMode mode, bool inline)
    {
        await using var server = await TcpTestServer.StartAsync(EchoApp.CreateRouted());
        await using WireframeClient<Envelope> client = await WireframeClient.CreateBuilder()
            .Configure(options =>
            {
                options.CompleteCallsInline = inline;
                options.CorrelationMode = mode;
            })
            .ConnectAsync("127.0.0.1", server.Port);

        // Inline, after its first call each worker runs on the receive loop: its next request is
        // written there, and only the loop's own send after the read takes it to the server.
        var tasks = Enumerable.Range(0, 50).Select(worker => Task.Run(async () =>
        {
            for (int i = 0; i < 20; i++)
            {
                byte[] payload = Payloads.Random(16 + i, seed: (worker * 1000) + i);
                Assert.Equal(payload, await client.CallAsync<byte[], byte[]>(EchoApp.EchoMessageId, payload));
            }
        }));
        await Task.WhenAll(tasks).WaitAsync(Safety);

        Assert.Equal(0, client.InFlight);
        Assert.Equal(0, client.UnmatchedResponses);
    }

    [Theory]
    [InlineData(CorrelationMode.Correlated)]
    [InlineData(CorrelationMode.Fifo)]
    public async Task An_outcome_read_twice_by_mistake_leaves_later_calls_their_own_responses(CorrelationMode mode)
    {
        await using var server = await TcpTestServer.StartAsync(EchoApp.CreateRouted());
        await using WireframeClient<Envelope> client = await WireframeClient.CreateBuilder()
            .Configure(options =>
            {
                options.CompleteCallsInline = true;
                options.CorrelationMode = mode;
            })
            .ConnectAsync("127.0.0.1", server.Port);

        for (int round = 0; round < 20; round++)
        {
            // Inline, the second read happens on the receive loop while the loop still holds the call.
            // The call lets go of the caller's hold only once; the window in which a second release
            // would hand the call to a concurrent caller is too narrow to force here, so this checks
            // what a user sees: the misuse costs nothing to the calls that follow.
#pragma warning disable CA2012 // The misuse under test: a ValueTask awaited twice.
            ValueTask<byte[]> misused = client.CallAsync<byte[], byte[]>(EchoApp.EchoMessageId, [(byte)round]);
            Assert.Equal(new byte[] { (byte)round }, await misused);
            try
            {
                await misused;
            }
            catch (InvalidOperationException)
            {
                // What a stale read throws once the call has been reused.
            }
#pragma warning restore CA2012

            byte[][] payloads = Enumerable.Range(0, 64).Select(i => Payloads.Random(8 + i, seed: (round * 100) + i)).ToArray();
            byte[][] answers = await Task.WhenAll(payloads.Select(p => client.CallAsync<byte[], byte[]>(EchoApp.EchoMessageId, p).AsTask())).WaitAsync(Safety);
            Assert.Equal(payloads, answers);
        }

        Assert.Equal(0, client.InFlight);
    }

    [Fact]
    public async Task A_fire_and_forget_send_from_a_resumed_caller_leaves_with_the_loops_send()
    {
        var received = new TaskCompletionSource<byte[]>(TaskCreationOptions.RunContinuationsAsynchronously);
        WireframeAppBuilder<Envelope> app = EchoApp.CreateRouted();
        app.Route<ReadOnlySequence<byte>>(4, (payload, _) =>
        {
            received.TrySetResult(payload.ToArray());
            return ValueTask.CompletedTask;
        });
        await using var server = await TcpTestServer.StartAsync(app);
        await using WireframeClient<Envelope> client = await WireframeClient.CreateBuilder()
            .Configure(options => options.CompleteCallsInline = true)
            .ConnectAsync("127.0.0.1", server.Port);

        await client.CallAsync<byte[], byte[]>(EchoApp.EchoMessageId, [1]);
        await client.SendAsync<byte[]>(4, [7, 7]);

        Assert.Equal([7, 7], await received.Task.WaitAsync(Safety));
    }

    [Fact]
    public async Task Timeouts_and_cancellation_still_end_calls_in_inline_mode()
    {
        var app = WireframeApp.CreateBuilder().Configure(options => options.MaxConcurrentRequestsPerConnection = 4);
        app.Route<ReadOnlySequence<byte>, byte[]>(9, async (_, context) =>
        {
            await Task.Delay(Timeout.Infinite, context.Connection.ConnectionClosing);
            return [];
        });
        await using var server = await TcpTestServer.StartAsync(app);
        var time = new ManualTimeProvider();
        await using WireframeClient<Envelope> client = await WireframeClient.CreateBuilder()
            .UseTimeProvider(time)
            .Configure(options => options.CompleteCallsInline = true)
            .ConnectAsync("127.0.0.1", server.Port);
        using var cancel = new CancellationTokenSource();

        Task<byte[]> timesOut = client.CallAsync<byte[], byte[]>(9, [1]).AsTask();
        Task<byte[]> cancelled = client.CallAsync<byte[], byte[]>(9, [2], cancel.Token).AsTask();
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled.WaitAsync(Safety));
        await Fragmentation.FragmentKit.WaitUntilAsync(() => time.PendingTimers > 0, "the call timeout armed");
        time.Advance(TimeSpan.FromSeconds(31));

        await Assert.ThrowsAsync<TimeoutException>(() => timesOut.WaitAsync(Safety));
        Assert.Equal(0, client.InFlight);
    }

    [Fact]
    public async Task A_caller_that_disposes_the_client_from_the_receive_loop_does_not_deadlock()
    {
        await using var server = await TcpTestServer.StartAsync(EchoApp.CreateRouted());
        WireframeClient<Envelope> client = await WireframeClient.CreateBuilder()
            .Configure(options => options.CompleteCallsInline = true)
            .ConnectAsync("127.0.0.1", server.Port);
        async Task CallThenDisposeAsync()
        {
            await client.CallAsync<byte[], byte[]>(EchoApp.EchoMessageId, [1]);
            await client.DisposeAsync();
        }

        await CallThenDisposeAsync().WaitAsync(Safety);
        await client.Completion.WaitAsync(Safety);
        await Assert.ThrowsAsync<WireframeConnectionLostException>(() => client.CallAsync<byte[], byte[]>(EchoApp.EchoMessageId, [2]).AsTask().WaitAsync(Safety));
    }
}
