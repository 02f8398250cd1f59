using System.Diagnostics;
using System.Globalization;
using System.Runtime;
using Wireframe.Client;
using Wireframe.Messages;

namespace Wireframe.Benchmarks;

/// <summary>
/// Multiplexed calls through <see cref="WireframeClient{TFrame}"/>: N callers (tasks) each call in a
/// loop on ONE connection to a routed echo server, for a warm-up then a measured period. Prints
/// "round trips/s : N" in the load generator's format, so <c>benchmarks/run-client.sh</c> can
/// compare it with the raw load generator (1 connection × N in flight) against the same server.
/// </summary>
internal static class ClientCallBenchmark
{
    private const int SettledSeconds = 3;

    public static async Task<int> RunAsync(string[] args)
    {
        int port = Option(args, "--port", 7878);
        int callers = Option(args, "--callers", 64);
        int size = Option(args, "--size", 128);
        var warmup = TimeSpan.FromSeconds(Option(args, "--warmup", 4));
        var maxWarmup = TimeSpan.FromSeconds(Option(args, "--max-warmup", 60));
        var duration = TimeSpan.FromSeconds(Option(args, "--duration", 8));
        byte[] payload = Frames.Payload(size);

        bool inline = args.Contains("--inline");
        await using WireframeClient<Envelope> client = await WireframeClient.CreateBuilder()
            .Configure(options => options.CompleteCallsInline = inline)
            .ConnectAsync("127.0.0.1", port);
        long calls = 0;
        bool measuring = false;
        using var stop = new CancellationTokenSource();
        Task[] workers = Enumerable.Range(0, callers).Select(_ => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                byte[] echoed = await client.CallAsync<byte[], byte[]>(1, payload).ConfigureAwait(false);
                if (echoed.Length != payload.Length)
                {
                    throw new InvalidOperationException($"The echo answered {echoed.Length} bytes instead of {payload.Length}.");
                }

                if (Volatile.Read(ref measuring))
                {
                    Interlocked.Increment(ref calls);
                }
            }
        })).ToArray();

        TimeSpan warmedUp = await WarmUpAsync(warmup, maxWarmup);
        Volatile.Write(ref measuring, true);
        long jittedBefore = JitInfo.GetCompiledMethodCount();
        long start = Stopwatch.GetTimestamp();
        long allocatedBefore = GC.GetTotalAllocatedBytes(precise: false);
        int gen0Before = GC.CollectionCount(0);
        await Task.Delay(duration);
        long measured = Interlocked.Read(ref calls);
        long jitted = JitInfo.GetCompiledMethodCount() - jittedBefore;
        TimeSpan elapsed = Stopwatch.GetElapsedTime(start);
        long allocated = GC.GetTotalAllocatedBytes(precise: false) - allocatedBefore;
        int gen0 = GC.CollectionCount(0) - gen0Before;
        await stop.CancelAsync();
        await Task.WhenAll(workers);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"round trips/s : {measured / elapsed.TotalSeconds:N0}"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"warmup        : {warmedUp.TotalSeconds:0} s; jitted {jitted} methods while measuring"));

        // Every allocation of the process while measuring, the echoed byte[] (the returned message,
        // 24 + size bytes) included; approximate (per-thread allocation contexts are not flushed).
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"bytes/call    : {(double)allocated / Math.Max(measured, 1):N1} (the response array is {24 + size} B; gen0 GCs {gen0})"));
        return 0;
    }

    /// <summary>
    /// Lets the callers run for at least <paramref name="minimum"/>, then until no method has been
    /// compiled for <see cref="SettledSeconds"/> seconds in a row (at most <paramref name="maximum"/>):
    /// on one busy core, tiered compilation takes 5–10 s to recompile the hot path, and a fixed
    /// short warmup measures partly unoptimized code.
    /// </summary>
    private static async Task<TimeSpan> WarmUpAsync(TimeSpan minimum, TimeSpan maximum)
    {
        long start = Stopwatch.GetTimestamp();
        await Task.Delay(minimum);
        int quietSeconds = 0;
        long jitted = JitInfo.GetCompiledMethodCount();
        while (quietSeconds < SettledSeconds && Stopwatch.GetElapsedTime(start) < maximum)
        {
            await Task.Delay(1000);
            long now = JitInfo.GetCompiledMethodCount();
            quietSeconds = now == jitted ? quietSeconds + 1 : 0;
            jitted = now;
        }

        return Stopwatch.GetElapsedTime(start);
    }

    private static int Option(string[] args, string name, int fallback)
    {
        int index = Array.IndexOf(args, name);
        return index >= 0 && index + 1 < args.Length ? int.Parse(args[index + 1], CultureInfo.InvariantCulture) : fallback;
    }
}
