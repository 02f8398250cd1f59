using System.Buffers;
using Wireframe.Connections;
using Wireframe.Fragmentation;
using Wireframe.Framing;
using Wireframe.Messages;
using Wireframe.Routing;
using Wireframe.Testing;
using Wireframe.Tests.Support;
using static Wireframe.Tests.Fragmentation.FragmentKit;

namespace Wireframe.Tests.Fragmentation;

/// <summary>The per-connection inbound budget has no holes: buffered fragments count toward the read pause, and MaxMessageSize holds without fragmentation.</summary>
public sealed class InboundBudgetReviewTests
{

    /// <summary>
    /// Partial messages buffered on top of what handlers hold count toward the 80 % pause: reading
    /// pauses (or the connection closes) instead of holding more than MaxBufferedBytesPerConnection.
    /// </summary>
    [Fact]
    public async Task Partial_messages_on_top_of_handlers_in_flight_pause_reading_at_80_percent()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var app = WireframeApp.CreateBuilder()
            .UseFragmentation(100)
            .Configure(options =>
            {
                options.MaxConcurrentRequestsPerConnection = 4;
                options.MaxMessageSize = 1000;
                options.MaxBufferedBytesPerConnection = 1000;
            });
        app.Route<ReadOnlySequence<byte>, byte[]>(Echo, async (payload, _) =>
        {
            byte[] copy = payload.ToArray();
            started.TrySetResult();
            await gate.Task;
            return copy;
        });
        await using var host = WireframeTest.CreateHost(app);
        await using var client = host.Connect();

        // A 500-byte message whose handler holds it (50 %: below the soft limit, reading goes on).
        await client.SendFragmentsAsync(new Envelope(Echo, 1, Payloads.Random(500, seed: 1)), messageKey: 1);
        await started.Task.WaitAsync(Safety);
        await WaitUntilAsync(() => client.InboundMemory.InFlightBytes == 500, "the first message in flight");

        // Then 900 bytes of a second message that never completes.
        await client.SendFragmentsAsync(new Envelope(Echo, 2, Payloads.Random(1000, seed: 2)), messageKey: 2, fragmentCount: 9);
        await WaitUntilAsync(() => client.InboundMemory.IsReadPaused || client.InboundMemory.BufferedBytes == 900 || client.Closed.IsCompleted, "the fragments read, or reading paused");

        InboundMemoryStats memory = client.InboundMemory;
        long held = memory.InFlightBytes + memory.BufferedBytes;
        Assert.True(
            memory.IsReadPaused || client.Closed.IsCompleted,
            $"{memory.InFlightBytes} bytes in flight + {memory.BufferedBytes} bytes of partial messages = {held} bytes held against a 1000-byte budget, and reading never paused.");
        gate.SetResult();
    }

    /// <summary>
    /// MaxMessageSize applies without fragmentation too: a frame above it never reaches its handler,
    /// even when the codec's MaxFrameLength would let it through.
    /// </summary>
    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    public async Task MaxMessageSize_applies_without_fragmentation_too(int concurrency)
    {
        var received = new List<int>();
        var app = WireframeApp.CreateBuilder(new LengthDelimitedOptions { MaxFrameLength = 1 << 20 })
            .Configure(options =>
            {
                options.MaxConcurrentRequestsPerConnection = concurrency;
                options.MaxMessageSize = 1000;
                options.MaxBufferedBytesPerConnection = 1000;
            });
        app.Route<ReadOnlySequence<byte>, byte[]>(Echo, (payload, _) =>
        {
            lock (received)
            {
                received.Add((int)payload.Length);
            }

            return [1];
        });
        await using var host = WireframeTest.CreateHost(app);
        await using var client = host.Connect();

        await client.SendFrameAsync(new Envelope(Echo, 1, new byte[50_000]));
        await client.SendFrameAsync(new Envelope(Echo, 2, new byte[10]));

        // Either the big message is dropped (the small one is answered) or the connection closes.
        (bool success, Envelope reply) = await client.TryReadFrameAsync().AsTask().WaitAsync(Safety);
        lock (received)
        {
            Assert.DoesNotContain(50_000, received);
        }

        if (success)
        {
            Assert.Equal(2UL, reply.CorrelationId);
        }
    }
}
