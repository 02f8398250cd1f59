using System.Buffers;
using Wireframe.Client;
using Wireframe.Connections;
using Wireframe.Examples.Echo;
using Wireframe.Messages;
using Wireframe.Outbound;
using Wireframe.Routing;
using Wireframe.Testing;
using Wireframe.Tests.Support;

namespace Wireframe.Tests.Client;

/// <summary>The client against real servers over TCP: multiplexed calls, correlation, pushes, timeouts, a lost connection.</summary>
public sealed class ClientCallTests
{
    private static readonly TimeSpan Safety = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task A_thousand_concurrent_calls_from_fifty_tasks_on_one_connection_each_get_their_own_response()
    {
        await using var server = await TcpTestServer.StartAsync(EchoApp.CreateRouted());
        await using WireframeClient<Envelope> client = await WireframeClient.CreateBuilder().ConnectAsync("127.0.0.1", server.Port);

        var tasks = Enumerable.Range(0, 50).Select(worker => Task.Run(async () =>
        {
            for (int i = 0; i < 20; i++)
            {
                byte[] payload = Payloads.Random(16 + ((worker * 20) + i), seed: (worker * 1000) + i);
                byte[] echoed = await client.CallAsync<byte[], byte[]>(EchoApp.EchoMessageId, payload);
                Assert.Equal(payload, echoed);
            }
        }));
        await Task.WhenAll(tasks).WaitAsync(Safety);

        Assert.Equal(0, client.InFlight);
        Assert.Equal(0, client.UnmatchedResponses);
    }

    [Fact]
    public async Task Calls_cancelled_at_random_moments_among_answered_ones_never_get_another_calls_response()
    {
        // Call objects are reused once their caller is done: a cancelled call's late answer must
        // not reach the caller that got its object next.
        await using var server = await TcpTestServer.StartAsync(EchoApp.CreateRouted());
        await using WireframeClient<Envelope> client = await WireframeClient.CreateBuilder().ConnectAsync("127.0.0.1", server.Port);

        int cancelled = 0;
        var tasks = Enumerable.Range(0, 32).Select(worker => Task.Run(async () =>
        {
            for (int i = 0; i < 50; i++)
            {
                byte[] payload = Payloads.Random(24, seed: (worker * 1000) + i);
                using var cancel = new CancellationTokenSource();
                if (i % 3 == 0)
                {
                    cancel.CancelAfter(TimeSpan.FromTicks(i * 50));
                }

                try
                {
                    Assert.Equal(payload, await client.CallAsync<byte[], byte[]>(EchoApp.EchoMessageId, payload, cancel.Token));
                }
                catch (OperationCanceledException)
                {
                    Interlocked.Increment(ref cancelled);
                }
            }
        }));
        await Task.WhenAll(tasks).WaitAsync(Safety);

        Assert.Equal(0, client.InFlight);
        Assert.InRange(cancelled, 0, 32 * 17);
    }

    [Fact]
    public async Task An_explicit_correlation_id_goes_out_and_comes_back_and_ids_are_otherwise_assigned_from_1()
    {
        await using var server = await TcpTestServer.StartAsync(EchoApp.CreateRouted());
        await using WireframeClient<Envelope> client = await WireframeClient.CreateBuilder().ConnectAsync("127.0.0.1", server.Port);

        Envelope first = await client.CallAsync(EchoApp.EchoMessageId, new byte[] { 1 }).AsTask().WaitAsync(Safety);
        Envelope chosen = await client.CallAsync<byte[], Envelope>(EchoApp.EchoMessageId, [2], correlationId: 0xABCDEF).AsTask().WaitAsync(Safety);

        Assert.Equal(1UL, first.CorrelationId);
        Assert.Equal(0xABCDEFUL, chosen.CorrelationId);
        Assert.Equal([2], chosen.Payload.ToArray());
    }

    [Fact]
    public async Task A_response_with_an_altered_correlation_id_never_reaches_a_caller_and_is_reported()
    {
        var app = WireframeApp.CreateBuilder();
        app.Route<ReadOnlySequence<byte>>(5, async (payload, context) =>
            await context.Connection.SendAsync(5, payload.ToArray(), context.CorrelationId + 1000));
        await using var server = await TcpTestServer.StartAsync(app);
        var time = new ManualTimeProvider();
        var reported = new TaskCompletionSource<(ulong?, uint)>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using WireframeClient<Envelope> client = await WireframeClient.CreateBuilder()
            .UseTimeProvider(time)
            .OnUnmatchedResponse((correlationId, messageId) => reported.TrySetResult((correlationId, messageId)))
            .ConnectAsync("127.0.0.1", server.Port);

        Task<byte[]> call = client.CallAsync<byte[], byte[]>(5, [9]).AsTask();
        (ulong? correlationId, uint messageId) = await reported.Task.WaitAsync(Safety);

        Assert.Equal(1001UL, correlationId);
        Assert.Equal(5u, messageId);
        Assert.Equal(1, client.UnmatchedResponses);
        Assert.False(call.IsCompleted);
        await Fragmentation.FragmentKit.WaitUntilAsync(() => time.PendingTimers > 0, "the call's timeout armed");
        time.Advance(TimeSpan.FromSeconds(30));
        TimeoutException timeout = await Assert.ThrowsAsync<TimeoutException>(() => call.WaitAsync(Safety));
        Assert.Contains("WireframeClientOptions.CallTimeout", timeout.Message, StringComparison.Ordinal);
        Assert.Equal(0, client.InFlight);
    }

    [Fact]
    public async Task Pushes_arrive_on_their_own_channel_while_calls_are_answered()
    {
        var app = WireframeApp.CreateBuilder();
        app.Route<ReadOnlySequence<byte>, byte[]>(6, async (payload, context) =>
        {
            var connection = (WireframeConnection<Envelope>)context.Connection;
            for (byte i = 0; i < 3; i++)
            {
                await connection.Pushes.PushAsync(new Envelope(60, null, new byte[] { i }.AsMemory()), PushPriority.High);
            }

            return payload.ToArray();
        });
        await using var server = await TcpTestServer.StartAsync(app);
        await using WireframeClient<Envelope> client = await WireframeClient.CreateBuilder().ConnectAsync("127.0.0.1", server.Port);

        byte[] reply = await client.CallAsync<byte[], byte[]>(6, [42]).AsTask().WaitAsync(Safety);
        var pushes = new List<byte>();
        for (int i = 0; i < 3; i++)
        {
            Envelope push = await client.Pushes.ReadAsync().AsTask().WaitAsync(Safety);
            Assert.Equal(60u, push.MessageId);
            Assert.Null(push.CorrelationId);
            pushes.Add(client.Read<byte[]>(push)[0]);
        }

        Assert.Equal([42], reply);
        Assert.Equal([0, 1, 2], pushes);
    }

    [Fact]
    public async Task Calls_in_flight_fail_with_connection_lost_when_the_server_closes_and_later_calls_fail_at_once()
    {
        var waiting = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var app = WireframeApp.CreateBuilder().Configure(options => options.MaxConcurrentRequestsPerConnection = 4);
        app.Route<ReadOnlySequence<byte>, byte[]>(8, async (_, context) =>
        {
            waiting.TrySetResult();
            await Task.Delay(Timeout.Infinite, context.RequestAborted);
            return [];
        });
        app.Route<ReadOnlySequence<byte>>(7, (_, context) =>
        {
            context.Connection.Close();
            return ValueTask.CompletedTask;
        });
        await using var server = await TcpTestServer.StartAsync(app);
        await using WireframeClient<Envelope> client = await WireframeClient.CreateBuilder().ConnectAsync("127.0.0.1", server.Port);

        Task<byte[]> pending = client.CallAsync<byte[], byte[]>(8, [1]).AsTask();
        await waiting.Task.WaitAsync(Safety);
        await client.SendAsync<byte[]>(7, [2]);

        await Assert.ThrowsAsync<WireframeConnectionLostException>(() => pending.WaitAsync(Safety));
        await client.Completion.WaitAsync(Safety);
        await Assert.ThrowsAsync<WireframeConnectionLostException>(() => client.CallAsync<byte[], byte[]>(1, [3]).AsTask());
    }

    [Fact]
    public async Task In_fifo_mode_pipelined_calls_without_correlation_ids_are_answered_in_order()
    {
        await using var server = await TcpTestServer.StartAsync(EchoApp.CreateRouted());
        await using WireframeClient<Envelope> client = await WireframeClient.CreateBuilder()
            .Configure(options => options.CorrelationMode = CorrelationMode.Fifo)
            .ConnectAsync("127.0.0.1", server.Port);

        var tasks = Enumerable.Range(0, 10).Select(worker => Task.Run(async () =>
        {
            for (int i = 0; i < 20; i++)
            {
                byte[] payload = Payloads.Random(8, seed: (worker * 100) + i);
                Envelope echoed = await client.CallAsync(EchoApp.EchoMessageId, payload);
                Assert.Null(echoed.CorrelationId);
                Assert.Equal(payload, echoed.Payload.ToArray());
            }
        }));
        await Task.WhenAll(tasks).WaitAsync(Safety);
    }

    [Fact]
    public async Task Cancelling_a_call_discards_its_late_response_and_the_connection_goes_on()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var app = WireframeApp.CreateBuilder().Configure(options => options.MaxConcurrentRequestsPerConnection = 4);
        app.Route<ReadOnlySequence<byte>, byte[]>(9, async (payload, _) =>
        {
            byte[] copy = payload.ToArray();
            await release.Task;
            return copy;
        });
        app.Route<ReadOnlySequence<byte>, byte[]>(1, (payload, _) => payload.ToArray());
        await using var server = await TcpTestServer.StartAsync(app);
        await using WireframeClient<Envelope> client = await WireframeClient.CreateBuilder().ConnectAsync("127.0.0.1", server.Port);
        using var cancel = new CancellationTokenSource();

        Task<byte[]> slow = client.CallAsync<byte[], byte[]>(9, [1], cancel.Token).AsTask();
        cancel.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => slow.WaitAsync(Safety));
        release.SetResult();

        Assert.Equal([5], await client.CallAsync<byte[], byte[]>(1, [5]).AsTask().WaitAsync(Safety));

        // The cancelled call's answer still comes (in any order with the other): counted, given to nobody.
        await Fragmentation.FragmentKit.WaitUntilAsync(() => client.UnmatchedResponses == 1, "the late answer counted as unmatched");
    }
}
