using System.Buffers;
using Wireframe.Connections;
using Wireframe.Messages;
using Wireframe.Testing;
using Wireframe.Tests.Support;
using static Wireframe.Tests.Fragmentation.FragmentKit;

namespace Wireframe.Tests.Fragmentation;

/// <summary>The inbound memory budget for messages in flight: it applies with or without fragmentation.</summary>
public sealed class InboundBudgetTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Handlers_holding_80_percent_of_the_budget_pause_reading_until_they_release_it(bool fragmented)
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        int started = 0;
        var app = WireframeApp.CreateBuilder().Configure(options =>
        {
            options.MaxConcurrentRequestsPerConnection = 8;
            options.MaxMessageSize = 1000;
            options.MaxBufferedBytesPerConnection = 1000;
        });
        if (fragmented)
        {
            app.UseFragmentation(128);
        }

        app.Route<ReadOnlySequence<byte>, byte[]>(Echo, async (payload, _) =>
        {
            byte[] copy = payload.ToArray();
            Interlocked.Increment(ref started);
            await gate.Task;
            return copy;
        });
        await using var host = WireframeTest.CreateHost(app);
        await using var client = host.Connect();

        // Each message holds about 300 bytes while its handler waits: the third takes the connection past 800.
        for (int i = 0; i < 4; i++)
        {
            Envelope message = Message(Echo, Payloads.Random(300, seed: i), correlationId: (ulong)i);
            if (fragmented)
            {
                await client.SendFragmentsAsync(message, messageKey: (ulong)i + 1);
            }
            else
            {
                await client.SendFrameAsync(message);
            }
        }

        await WaitUntilAsync(() => client.InboundMemory.IsReadPaused, "reading paused");
        InboundMemoryStatsAssert(client.InboundMemory, started: Volatile.Read(ref started));

        // Unfragmented, the third message takes the handlers past 800 bytes. Fragmented, the third
        // message's first fragments, buffered on top of two handlers' 600 bytes, may already do it.
        int handlers = Volatile.Read(ref started);
        if (fragmented)
        {
            Assert.InRange(handlers, 2, 3);
        }
        else
        {
            Assert.Equal(3, handlers);
        }

        gate.SetResult();
        var correlations = new List<ulong>();
        for (int i = 0; i < 4; i++)
        {
            Envelope reply = await client.ReadMessageAsync().AsTask().WaitAsync(Connections.TestKit.Safety);
            Assert.Equal(Payloads.Random(300, seed: (int)reply.CorrelationId!.Value), reply.Payload.ToArray());
            correlations.Add(reply.CorrelationId.Value);
        }

        Assert.Equal([0UL, 1, 2, 3], correlations.Order().ToArray());
        await WaitUntilAsync(() => client.InboundMemory is { InFlightBytes: 0, IsReadPaused: false }, "the budget released");

        // Releasing the first handlers lets the fourth message in, which may take the connection past 80 % once more.
        Assert.InRange(client.InboundMemory.ReadPauses, 1, 2);
    }

    private static void InboundMemoryStatsAssert(Wireframe.Fragmentation.InboundMemoryStats memory, int started)
    {
        long held = memory.InFlightBytes + memory.BufferedBytes;
        Assert.Equal(1, memory.ReadPauses);
        Assert.True(memory.InFlightBytes > 0, "Paused with no handler holding memory: nothing would ever resume reading.");
        Assert.True(held >= 800, $"Paused with only {held} bytes held ({memory.InFlightBytes} in flight, {memory.BufferedBytes} partial; {started} handlers started).");
        Assert.True(held < 1000, $"{held} bytes held: reading should have paused earlier.");
    }
}
