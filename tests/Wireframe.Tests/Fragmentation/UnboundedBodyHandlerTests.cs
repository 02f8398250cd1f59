using System.Buffers;
using Wireframe.Fragmentation;
using Wireframe.Framing;
using Wireframe.Messages;
using Wireframe.Routing;
using Wireframe.Testing;
using static Wireframe.Tests.Fragmentation.FragmentKit;

namespace Wireframe.Tests.Fragmentation;

/// <summary>
/// Body handlers take no concurrent-request slot, yet they are bounded: with concurrent requests, at
/// most MaxConcurrentRequestsPerConnection handlers of complete bodies (arrived whole, or finished)
/// run at once, so a peer sending many small body-route messages cannot start a handler for each.
/// </summary>
public sealed class UnboundedBodyHandlerTests
{
    [Fact]
    public async Task Whole_body_messages_cannot_start_more_handlers_than_the_connection_limits_allow()
    {
        const int Limit = 4;
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var tooMany = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        int started = 0;
        var app = WireframeApp.CreateBuilder(new LengthDelimitedOptions { MaxFrameLength = 1 << 20 })
            .UseFragmentation(1000)
            .Configure(options =>
            {
                options.MaxConcurrentRequestsPerConnection = 2;
                options.MaxMessagesInReassembly = Limit;
            });
        app.Route<MessageBody, byte[]>(Upload, async (body, context) =>
        {
            if (Interlocked.Increment(ref started) > Limit)
            {
                tooMany.TrySetResult();
            }

            await gate.Task;
            await foreach (ReadOnlyMemory<byte> _ in body.ReadChunksAsync(context.RequestAborted))
            {
            }

            return [1];
        });
        app.Route<ReadOnlySequence<byte>, byte[]>(Echo, (_, _) => [2]);
        await using var host = WireframeTest.CreateHost(app);
        await using var client = host.Connect();

        for (int i = 0; i < 20; i++)
        {
            await client.SendFragmentsAsync(new Envelope(Upload, (ulong)i, new byte[500]), messageKey: (ulong)i + 1);
        }

        await client.SendFragmentsAsync(new Envelope(Echo, 100, new byte[1]), messageKey: 100);

        // Give the server every chance to start handlers; this waits for something that must not happen.
        await Task.WhenAny(tooMany.Task, Task.Delay(500));
        int running = Volatile.Read(ref started);
        gate.SetResult();
        Assert.True(
            running <= Limit,
            $"{running} body handlers running at once on one connection (MaxConcurrentRequestsPerConnection 2, MaxMessagesInReassembly {Limit}).");

        for (int i = 0; i < 21; i++)
        {
            await client.ReadMessageAsync().AsTask().WaitAsync(Safety);
        }
    }
}
