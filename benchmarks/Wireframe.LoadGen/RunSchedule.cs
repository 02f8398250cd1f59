using System.Diagnostics;

namespace Wireframe.LoadGen;

/// <summary>Phase boundaries of a run, as <see cref="Stopwatch"/> timestamps.</summary>
internal sealed class RunSchedule
{
    public RunSchedule(long start, double warmupSeconds, double durationSeconds)
    {
        Start = start;
        MeasureStart = start + ToTicks(warmupSeconds);
        End = MeasureStart + ToTicks(durationSeconds);
    }

    public long Start { get; }

    public long MeasureStart { get; }

    /// <summary>End of the measured phase; connections stop sending and drain after it.</summary>
    public long End { get; }

    public double MeasuredSeconds => (End - MeasureStart) / (double)Stopwatch.Frequency;

    public static long ToTicks(double seconds) => (long)(seconds * Stopwatch.Frequency);
}
