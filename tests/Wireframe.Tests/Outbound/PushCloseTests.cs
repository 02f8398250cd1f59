using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Wireframe.Connections;
using Wireframe.Messages;
using Wireframe.Outbound;
using Wireframe.Testing;
using Wireframe.Tests.Support;
using static Wireframe.Tests.Connections.TestKit;
using static Wireframe.Tests.Outbound.PushKit;

namespace Wireframe.Tests.Outbound;

/// <summary>
/// What happens to pushes while a connection closes: everything queued is delivered on a graceful
/// close, nothing is accepted once closing has begun, and a hook that fails on a queued frame ends
/// the connection cleanly instead of wedging it.
/// </summary>
public sealed class PushCloseTests
{
    private static async Task<List<Envelope>> ReadAllAsync(TestConnection<Envelope> client)
    {
        var frames = new List<Envelope>();
        while (true)
        {
            (bool ok, Envelope frame) = await client.TryReadFrameAsync().AsTask().Within();
            if (!ok)
            {
                return frames;
            }

            frames.Add(frame);
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(16)]
    public async Task A_graceful_close_delivers_every_queued_push_even_past_the_fairness_budget(int burst)
    {
        await using var host = WireframeTest.CreateHost(CreateApp(out PushProbe probe, o =>
        {
            o.MaxHighPriorityBurst = burst;
            o.HighPriorityPushCapacity = 32;
        }));
        await using var client = host.Connect(PausedPipe);
        PushSession session = await probe.NextSessionAsync();
        Assert.Equal(PushResult.Queued, session.Pushes.TryPush(Push(0)));
        await client.WaitForServerBytesAsync();
        for (uint id = 1; id <= 20; id++)
        {
            Assert.Equal(PushResult.Queued, session.Pushes.TryPush(Push(id)));
        }

        session.Connection.Close();
        WaitForWriterWaiter(session.Connection);

        Assert.Equal(Enumerable.Range(0, 21).Select(i => (uint)i), (await ReadAllAsync(client)).Select(f => f.MessageId));
        Assert.Equal(DisconnectReason.ClosedByApplication, (await client.ClosedAsync()).Reason);
    }

    [Fact]
    public async Task Once_the_peer_has_closed_its_side_the_push_handle_refuses_pushes_as_closed()
    {
        await using var host = WireframeTest.CreateHost(CreateApp(out PushProbe probe));
        await using var client = host.Connect();
        PushSession session = await probe.NextSessionAsync();
        (bool Connected, PushResult Result)? seenWhileClosing = null;
        session.Connection.ConnectionClosing.Register(() => seenWhileClosing = (session.Pushes.IsConnected, session.Pushes.TryPush(Push(1))));

        await client.CompleteAsync();

        Assert.Equal(DisconnectReason.PeerClosed, (await client.ClosedAsync()).Reason);
        Assert.Equal((false, PushResult.Closed), seenWhileClosing);
    }

    [Fact]
    public async Task A_before_send_hook_that_fails_on_a_frame_drained_at_close_ends_the_connection_as_a_hook_failure()
    {
        using var logs = new LogCapture();
        await using var host = WireframeTest.CreateHost(CreateApp(out PushProbe probe), services => services.AddLogging(b => b.AddProvider(logs)));
        await using var client = host.Connect(PausedPipe);
        PushSession session = await probe.NextSessionAsync();
        probe.BeforeSendHook = frame => frame.MessageId == 99 ? throw new InvalidOperationException("boom") : frame;

        Assert.Equal(PushResult.Queued, session.Pushes.TryPush(Push(0)));
        await client.WaitForServerBytesAsync();
        Assert.Equal(PushResult.Queued, session.Pushes.TryPush(Push(99)));
        Assert.Equal(PushResult.Queued, session.Pushes.TryPush(Push(99)));
        session.Connection.Close();
        WaitForWriterWaiter(session.Connection);

        // The client reads what was sent; the connection ends instead of hanging, and says why.
        Assert.Equal(0u, (await client.NextFrameAsync()).MessageId);
        DisconnectInfo info = await client.ClosedAsync();
        Assert.Contains(info.Reason, new[] { DisconnectReason.HookFailed, DisconnectReason.ClosedByApplication });
        Assert.Contains(logs.Wireframe(6), log => log.Message.Contains("before send", StringComparison.Ordinal));
    }
}
