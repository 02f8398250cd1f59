using System.Diagnostics;
using System.Globalization;

namespace Wireframe.Benchmarks;

/// <summary>
/// Counts the bytes every dispatch scenario allocates per frame in steady state, on all threads
/// (<see cref="GC.GetTotalAllocatedBytes(bool)"/>, precise), over 100,000 frames after a warm-up
/// long enough for tiered compilation to settle. <c>--trace</c> also names the allocated types.
/// Exits non-zero when a scenario that should be allocation-free is not (tracing aside).
/// </summary>
internal static class AllocationProbe
{
    private static readonly TimeSpan WarmUp = TimeSpan.FromSeconds(2);

    public static int Run(string[] args)
    {
        bool trace = args.Contains("--trace");
        int frames = trace ? 2_000_000 : 100_000;
        int batches = frames / DispatchScenarios.FramesPerBatch;
        using AllocationTickListener? listener = trace ? new AllocationTickListener() : null;
        bool allocationFree = true;

        Console.WriteLine($"Allocation probe: {frames:N0} frames per scenario, batches of {DispatchScenarios.FramesPerBatch}, after {WarmUp.TotalSeconds:0} s of warm-up.");
        Console.WriteLine("| Scenario | Scheduling | Bytes/frame | Bytes total | Gen0 GCs |");
        Console.WriteLine("|---|---|---:|---:|---:|");
        foreach (Scenario scenario in Enum.GetValues<Scenario>())
        {
            foreach (Scheduling scheduling in Enum.GetValues<Scheduling>())
            {
                RoundTripHarness harness = DispatchScenarios.Start(scenario, scheduling);
                var clock = Stopwatch.StartNew();
                while (clock.Elapsed < WarmUp)
                {
                    harness.RoundTrip();
                }

                listener?.Start();
                int gen0 = GC.CollectionCount(0);
                long before = GC.GetTotalAllocatedBytes(precise: true);
                for (int i = 0; i < batches; i++)
                {
                    harness.RoundTrip();
                }

                long allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
                gen0 = GC.CollectionCount(0) - gen0;
                IReadOnlyList<KeyValuePair<string, long>>? types = listener?.Stop();
                harness.DisposeAsync().AsTask().GetAwaiter().GetResult();

                double perFrame = (double)allocated / (batches * DispatchScenarios.FramesPerBatch);
                allocationFree &= allocated == 0 || trace || !DispatchScenarios.ShouldBeAllocationFree(scenario);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {scenario} | {scheduling} | {perFrame:0.###} | {allocated:N0} | {gen0} |"));
                foreach ((string type, long bytes) in types ?? [])
                {
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"|   sampled: {type} | | | ~{bytes:N0} | |"));
                }
            }
        }

        return allocationFree ? 0 : 1;
    }
}
