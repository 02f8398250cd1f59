using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Wireframe.LoadGen;

/// <summary>Connects, runs warmup and measured phases, drains, and reports.</summary>
internal static class LoadRun
{
    // After the measured phase each connection still waits for its last D responses; a server
    // that has not produced them by then is stuck, and the run must end anyway.
    private static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(5);

    public static async Task<int> RunAsync(LoadOptions options)
    {
        IPEndPoint endPoint = await Connector.ResolveAsync(options.Host, options.Port);
        var frame = RequestFrame.Create(options.Mode, options.Size);
        byte[] sendBuffer = frame.Repeat(options.InFlight);

        await Console.Error.WriteLineAsync(
            $"connecting {options.Connections} connections to {endPoint} ({options.Mode.ToString().ToLowerInvariant()}, "
            + $"{options.InFlight} in flight, {options.Size} B payload)");
        Socket[] sockets = await Connector.ConnectAllAsync(endPoint, options.Connections);

        var schedule = new RunSchedule(Stopwatch.GetTimestamp(), options.WarmupSeconds, options.DurationSeconds);
        var connections = new LoadConnection[sockets.Length];
        var runs = new Task[sockets.Length];
        for (int i = 0; i < sockets.Length; i++)
        {
            // Read-only, so every connection shares the same request batch bytes.
            connections[i] = new LoadConnection(i, sockets[i], schedule, frame, sendBuffer, options.InFlight);
        }

        await Console.Error.WriteLineAsync($"warmup {options.WarmupSeconds} s, then measuring {options.DurationSeconds} s");
        for (int i = 0; i < connections.Length; i++)
        {
            runs[i] = connections[i].RunAsync();
        }

        Task all = Task.WhenAll(runs);
        Task<(double Cores, long Jitted)> clientCpu = MeasureOwnCpuAsync(schedule, all);
        TimeSpan untilEnd = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), schedule.End);
        TimeSpan untilDeadline = (untilEnd > TimeSpan.Zero ? untilEnd : TimeSpan.Zero) + DrainTimeout;
        if (await Task.WhenAny(all, Task.Delay(untilDeadline)) != all)
        {
            for (int i = 0; i < runs.Length; i++)
            {
                if (!runs[i].IsCompleted)
                {
                    connections[i].Fail($"timed out: responses still outstanding {DrainTimeout.TotalSeconds:0} s after the run ended");
                }
            }

            // Disposed sockets abort their pending reads at once; the bound is only a backstop.
            await Task.WhenAny(all, Task.Delay(DrainTimeout));
        }

        if (!all.IsCompleted)
        {
            await Console.Error.WriteLineAsync("ERROR: some connections did not stop after being aborted");
            return 1;
        }

        // Faults other than the ones a connection handles itself are bugs in this tool: let them surface.
        await all;

        (double cores, long jitted) = await clientCpu;
        var result = RunResult.Collect(options, endPoint, schedule, connections, cores, jitted);
        result.Print(Console.Out, options.Json);
        if (result.Errors > 0)
        {
            await Console.Error.WriteLineAsync(
                $"ERROR: {result.Errors} of {connections.Length} connections failed; first: connection {result.FirstErrorConnection}: {result.FirstError}");
            return 1;
        }

        return 0;
    }

    /// <summary>
    /// Share of one core this process used during the measured phase: near 100% means the
    /// generator, not the server, may be what limits throughput. Also counts the methods the JIT
    /// compiled meanwhile: more than a few means tiering had not settled and the warmup was too short.
    /// </summary>
    private static async Task<(double Cores, long Jitted)> MeasureOwnCpuAsync(RunSchedule schedule, Task connectionsDone)
    {
        using var self = Process.GetCurrentProcess();

        // If every connection has already failed there is nothing left to measure or wait for.
        await Task.WhenAny(DelayUntilAsync(schedule.MeasureStart), connectionsDone);
        if (connectionsDone.IsCompleted)
        {
            return (double.NaN, 0);
        }

        long jittedBefore = System.Runtime.JitInfo.GetCompiledMethodCount();
        self.Refresh();
        TimeSpan before = self.TotalProcessorTime;
        long startedAt = Stopwatch.GetTimestamp();
        await Task.WhenAny(DelayUntilAsync(schedule.End), connectionsDone);
        self.Refresh();
        TimeSpan used = self.TotalProcessorTime - before;
        TimeSpan elapsed = Stopwatch.GetElapsedTime(startedAt);
        return (elapsed > TimeSpan.Zero ? used / elapsed : 0, System.Runtime.JitInfo.GetCompiledMethodCount() - jittedBefore);
    }

    private static Task DelayUntilAsync(long timestamp)
    {
        TimeSpan wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), timestamp);
        return wait > TimeSpan.Zero ? Task.Delay(wait) : Task.CompletedTask;
    }
}
