using System.Diagnostics;
using System.Globalization;

namespace Wireframe.Benchmarks;

/// <summary>
/// Times every dispatch scenario in interleaved rounds (A, B, C, ... then again) on one scheduling
/// and reports the best and median round per frame, with ratios against the hand-written echo.
/// On a shared, loaded machine a burst of someone else's work hits one round of every scenario
/// alike instead of one whole benchmark, so these ratios are steadier than separate runs.
/// <c>--scenario NAME</c> runs one scenario for longer (to attach a profiler); <c>--thread-pool</c>
/// switches the scheduling.
/// </summary>
internal static class InterleavedComparison
{
    private const int Rounds = 21;
    private const int BatchesPerRound = 2_000;
    private static readonly TimeSpan WarmUp = TimeSpan.FromSeconds(2);

    public static int Run(string[] args)
    {
        Scheduling scheduling = args.Contains("--thread-pool") ? Scheduling.ThreadPool : Scheduling.Inline;
        int only = Array.IndexOf(args, "--scenario");
        Scenario[] scenarios = only >= 0 && only + 1 < args.Length ? [Enum.Parse<Scenario>(args[only + 1])] : Enum.GetValues<Scenario>();
        int rounds = only >= 0 ? Rounds * 5 : Rounds;
        var harnesses = scenarios.Select(scenario => DispatchScenarios.Start(scenario, scheduling)).ToArray();
        var perFrame = scenarios.Select(_ => new List<double>()).ToArray();
        try
        {
            foreach (RoundTripHarness harness in harnesses)
            {
                var warm = Stopwatch.StartNew();
                while (warm.Elapsed < WarmUp)
                {
                    harness.RoundTrip();
                }
            }

            for (int round = 0; round < rounds; round++)
            {
                for (int i = 0; i < harnesses.Length; i++)
                {
                    long start = Stopwatch.GetTimestamp();
                    for (int batch = 0; batch < BatchesPerRound; batch++)
                    {
                        harnesses[i].RoundTrip();
                    }

                    double nanoseconds = Stopwatch.GetElapsedTime(start).TotalNanoseconds;
                    perFrame[i].Add(nanoseconds / (BatchesPerRound * DispatchScenarios.FramesPerBatch));
                }
            }
        }
        finally
        {
            foreach (RoundTripHarness harness in harnesses)
            {
                harness.DisposeAsync().AsTask().GetAwaiter().GetResult();
            }
        }

        double baselineBest = perFrame[0].Min();
        double baselineMedian = Median(perFrame[0]);
        Console.WriteLine($"Interleaved comparison, {scheduling} scheduling: {rounds} rounds of {BatchesPerRound * DispatchScenarios.FramesPerBatch:N0} frames per scenario.");
        Console.WriteLine($"| Scenario | Best ns/frame | Median ns/frame | Ratio to {scenarios[0]} (best) | Ratio (median) |");
        Console.WriteLine("|---|---:|---:|---:|---:|");
        for (int i = 0; i < scenarios.Length; i++)
        {
            double best = perFrame[i].Min();
            double median = Median(perFrame[i]);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {scenarios[i]} | {best:0.0} | {median:0.0} | {best / baselineBest:0.00} | {median / baselineMedian:0.00} |"));
        }

        return 0;
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted[sorted.Length / 2];
    }
}
