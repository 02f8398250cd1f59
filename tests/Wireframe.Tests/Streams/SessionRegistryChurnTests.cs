using Wireframe.Connections;
using Wireframe.Messages;
using Wireframe.Outbound;
using Wireframe.Testing;
using Wireframe.Tests.Connections;

namespace Wireframe.Tests.Streams;

/// <summary>Tests that measure the whole process (memory), so nothing else may run beside them.</summary>
[CollectionDefinition(nameof(ProcessWideMeasurements), DisableParallelization = true)]
public sealed class ProcessWideMeasurements;

[Collection(nameof(ProcessWideMeasurements))]
public sealed class SessionRegistryChurnTests
{
    private const int Lanes = 4;

    [Fact]
    public async Task The_registry_empties_and_memory_stays_flat_across_100000_connect_disconnect_cycles()
    {
        const int Cycles = 100_000;
        const long AllowedGrowth = 4 * 1024 * 1024;
        var registry = new SessionRegistry<Envelope>();
        var protocol = new RegisteringProtocol(registry, hello: false);
        var app = WireframeApp.CreateBuilder().WithProtocol(protocol);
        app.Route<byte[], byte[]>(1, (request, _) => request);
        await using var host = WireframeTest.CreateHost(app);

        // Warm up: JIT, pools and caches reach their working size before the baseline is taken.
        int peak = await ChurnAsync(host, registry, 2_000);
        Assert.Equal(0, registry.Count);
        long before = GC.GetTotalMemory(forceFullCollection: true);

        peak = Math.Max(peak, await ChurnAsync(host, registry, Cycles));

        Assert.Equal(0, registry.Count);
        Assert.Equal(0, registry.Prune());
        Assert.Equal(2_000 + Cycles, protocol.Registered);
        Assert.InRange(peak, 1, Lanes);
        Assert.Equal(0, host.Handler.ActiveConnections);
        long after = GC.GetTotalMemory(forceFullCollection: true);
        Assert.True(after - before < AllowedGrowth, $"The managed heap grew by {(after - before) / 1024} KiB over {Cycles} connections ({before / 1024} KiB -> {after / 1024} KiB).");
    }

    /// <summary>Opens and closes <paramref name="cycles"/> registered connections, <see cref="Lanes"/> at a time; returns the largest registry count seen.</summary>
    private static async Task<int> ChurnAsync(WireframeTestHost<Envelope> host, SessionRegistry<Envelope> registry, int cycles)
    {
        int peak = 0;
        async Task LaneAsync(int count)
        {
            for (int i = 0; i < count; i++)
            {
                TestConnection<Envelope> client = host.Connect();
                int registered = registry.Count;
                InterlockedMax(ref peak, registered);
                await client.CompleteAsync();
                DisconnectInfo info = await client.Closed;
                if (info.Reason != DisconnectReason.PeerClosed)
                {
                    Assert.Fail($"Connection {i} closed with {info}.");
                }

                await client.DisposeAsync();
            }
        }

        Task[] lanes = [.. Enumerable.Range(0, Lanes).Select(lane => Task.Run(() => LaneAsync(cycles / Lanes + (lane < cycles % Lanes ? 1 : 0))))];
        await Task.WhenAll(lanes).WaitAsync(TimeSpan.FromMinutes(2));
        return peak;
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int current = Volatile.Read(ref target);
        while (value > current)
        {
            int seen = Interlocked.CompareExchange(ref target, value, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }
}
