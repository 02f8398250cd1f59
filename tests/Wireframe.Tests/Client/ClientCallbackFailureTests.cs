using System.Buffers;
using Wireframe.Client;
using Wireframe.Examples.Echo;
using Wireframe.Messages;
using Wireframe.Routing;
using Wireframe.Tests.Support;

namespace Wireframe.Tests.Client;

/// <summary>An application callback that throws on the receive loop costs the call it concerns, never the connection; closing is idempotent and ordered.</summary>
public sealed class ClientCallbackFailureTests
{
    private static readonly TimeSpan Safety = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task An_error_frame_reader_that_throws_fails_only_the_call_it_was_reading()
    {
        await using var server = await TcpTestServer.StartAsync(EchoApp.CreateRouted());
        await using WireframeClient<Envelope> client = await WireframeClient.CreateBuilder()
            .UseErrorFrames(frame => frame.Payload.FirstSpan is [0xEE, ..] ? throw new FormatException("unreadable error frame") : null)
            .ConnectAsync("127.0.0.1", server.Port);

        Task<byte[]> before = client.CallAsync<byte[], byte[]>(EchoApp.EchoMessageId, [1]).AsTask();
        Task<byte[]> poisoned = client.CallAsync<byte[], byte[]>(EchoApp.EchoMessageId, [0xEE]).AsTask();
        Task<byte[]> after = client.CallAsync<byte[], byte[]>(EchoApp.EchoMessageId, [2]).AsTask();

        var thrown = await Assert.ThrowsAsync<FormatException>(() => poisoned.WaitAsync(Safety));
        Assert.Equal("unreadable error frame", thrown.Message);
        Assert.Equal([1], await before.WaitAsync(Safety));
        Assert.Equal([2], await after.WaitAsync(Safety));
        Assert.False(client.Completion.IsCompleted);
        Assert.Equal([3], await client.CallAsync<byte[], byte[]>(EchoApp.EchoMessageId, [3]).AsTask().WaitAsync(Safety));
    }

    [Theory]
    [InlineData(CorrelationMode.Correlated)]
    [InlineData(CorrelationMode.Fifo)]
    public async Task An_after_receive_hook_that_throws_fails_only_the_call_the_frame_answers(CorrelationMode mode)
    {
        await using var server = await TcpTestServer.StartAsync(EchoApp.CreateRouted());
        int unmatchedCallbacks = 0;
        await using WireframeClient<Envelope> client = await WireframeClient.CreateBuilder()
            .Configure(options => options.CorrelationMode = mode)
            .AfterReceive((ref Envelope frame) =>
            {
                if (frame.Payload.FirstSpan is [0xEE, ..])
                {
                    throw new InvalidDataException("the hook refuses this frame");
                }
            })
            .OnUnmatchedResponse((_, _) =>
            {
                Interlocked.Increment(ref unmatchedCallbacks);
                throw new InvalidOperationException("a careless unmatched-response handler");
            })
            .ConnectAsync("127.0.0.1", server.Port);

        Task<byte[]> poisoned = client.CallAsync<byte[], byte[]>(EchoApp.EchoMessageId, [0xEE]).AsTask();
        Task<byte[]> next = client.CallAsync<byte[], byte[]>(EchoApp.EchoMessageId, [5]).AsTask();

        await Assert.ThrowsAsync<InvalidDataException>(() => poisoned.WaitAsync(Safety));
        Assert.Equal([5], await next.WaitAsync(Safety));

        // An answer nobody waits for reaches the unmatched-response handler, whose exception is contained too.
        if (mode == CorrelationMode.Correlated)
        {
            await client.SendAsync<byte[]>(EchoApp.EchoMessageId, [6], correlationId: 999);
            await Fragmentation.FragmentKit.WaitUntilAsync(() => Volatile.Read(ref unmatchedCallbacks) == 1, "the unmatched answer reported");
        }

        Assert.Equal([7], await client.CallAsync<byte[], byte[]>(EchoApp.EchoMessageId, [7]).AsTask().WaitAsync(Safety));
        Assert.Equal(0, client.InFlight);
    }

    [Fact]
    public async Task Disposing_twice_is_harmless_and_pushes_end_only_after_the_disconnect_hook_ran()
    {
        WireframeAppBuilder<Envelope> app = EchoApp.CreateRouted();
        await using var server = await TcpTestServer.StartAsync(app);
        Exception? reason = null;
        WireframeClient<Envelope> client = await WireframeClient.CreateBuilder()
            .OnDisconnected(lost => Volatile.Write(ref reason, lost))
            .ConnectAsync("127.0.0.1", server.Port);
        Task drained = Task.Run(async () =>
        {
            await foreach (Envelope _ in client.Pushes.ReadAllAsync())
            {
            }

            // The end of the pushes comes after the teardown hook: its reason is already there.
            Assert.NotNull(Volatile.Read(ref reason));
        });

        await server.Server.StopAsync();
        await drained.WaitAsync(Safety);
        await client.DisposeAsync();
        await client.DisposeAsync();
        Assert.IsType<WireframeConnectionLostException>(reason);
    }
}
