using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;

namespace Wireframe.LoadGen;

/// <summary>Everything a load run reports, merged across connections.</summary>
internal sealed class RunResult
{
    private RunResult(LoadOptions options, IPEndPoint endPoint, double measuredSeconds, LatencyHistogram histogram, double clientCpuCores, long jittedWhileMeasuring)
    {
        ClientCpuCores = clientCpuCores;
        JittedWhileMeasuring = jittedWhileMeasuring;
        Options = options;
        EndPoint = endPoint;
        MeasuredSeconds = measuredSeconds;
        Histogram = histogram;
    }

    public LoadOptions Options { get; }

    public IPEndPoint EndPoint { get; }

    public double MeasuredSeconds { get; }

    /// <summary>
    /// CPU this generator used in the measured phase, in cores (1.0 = one core busy); NaN when every
    /// connection had ended before that phase began.
    /// </summary>
    public double ClientCpuCores { get; }

    /// <summary>Methods the JIT compiled in this process during the measured phase (tiering not settled if many).</summary>
    public long JittedWhileMeasuring { get; }

    public LatencyHistogram Histogram { get; }

    public long MeasuredFrames { get; private set; }

    public long TotalFrames { get; private set; }

    public long MeasuredReads { get; private set; }

    /// <summary>How many responses one socket read brought on average: 1 means the server wrote frame by frame.</summary>
    public double ResponsesPerRead => MeasuredReads == 0 ? 0 : MeasuredFrames / (double)MeasuredReads;

    public int Errors { get; private set; }

    public string? FirstError { get; private set; }

    public int FirstErrorConnection { get; private set; } = -1;

    public double RoundTripsPerSecond => MeasuredFrames / MeasuredSeconds;

    /// <summary>Payload megabytes (10^6) per second in each direction.</summary>
    public double PayloadMegabytesPerSecond => RoundTripsPerSecond * Options.Size / 1e6;

    public static RunResult Collect(LoadOptions options, IPEndPoint endPoint, RunSchedule schedule, IReadOnlyList<LoadConnection> connections, double clientCpuCores, long jittedWhileMeasuring)
    {
        var result = new RunResult(options, endPoint, schedule.MeasuredSeconds, new LatencyHistogram(), clientCpuCores, jittedWhileMeasuring);
        foreach (LoadConnection connection in connections)
        {
            result.Histogram.Add(connection.Histogram);
            result.MeasuredFrames += connection.MeasuredFrames;
            result.TotalFrames += connection.TotalFrames;
            result.MeasuredReads += connection.MeasuredReads;
            if (connection.Error is { } error)
            {
                result.Errors++;
                if (result.FirstError is null)
                {
                    result.FirstError = error;
                    result.FirstErrorConnection = connection.Id;
                }
            }
        }

        return result;
    }

    public void Print(TextWriter writer, bool json)
    {
        ArgumentNullException.ThrowIfNull(writer);
        CultureInfo c = CultureInfo.InvariantCulture;
        string mode = Options.Mode.ToString().ToLowerInvariant();
        writer.WriteLine(string.Create(c, $"target        : {EndPoint} {mode}, {Options.Connections} connections x {Options.InFlight} in flight x {Options.Size} B"));
        writer.WriteLine(string.Create(c, $"phases        : warmup {Options.WarmupSeconds} s, measured {MeasuredSeconds:0.###} s"));
        writer.WriteLine(string.Create(c, $"round trips/s : {RoundTripsPerSecond:N0}"));
        writer.WriteLine(string.Create(c, $"payload MB/s  : {PayloadMegabytesPerSecond:N1} each direction"));
        writer.WriteLine(string.Create(c, $"frames        : {MeasuredFrames:N0} measured, {TotalFrames:N0} total"));
        writer.WriteLine(string.Create(c, $"batching      : {ResponsesPerRead:0.0} responses per read"));
        writer.WriteLine(string.Create(c, $"errors        : {Errors}"));
        writer.WriteLine(double.IsNaN(ClientCpuCores)
            ? "loadgen cpu   : n/a"
            : string.Create(c, $"loadgen cpu   : {ClientCpuCores * 100:0}% of one core"));
        writer.WriteLine(string.Create(c, $"jitted        : {JittedWhileMeasuring} methods while measuring"));
        writer.WriteLine(string.Create(c,
            $"latency us    : p50 {Us(50):0.0}  p90 {Us(90):0.0}  p99 {Us(99):0.0}  p99.9 {Us(99.9):0.0}  max {Histogram.MaxNanoseconds / 1000.0:0.0}"));

        if (json)
        {
            writer.WriteLine(ToJson(mode));
        }
    }

    private double Us(double percentile) => Histogram.ValueAtPercentile(percentile) / 1000.0;

    private string ToJson(string mode)
    {
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream))
        {
            json.WriteStartObject();
            json.WriteString("mode", mode);
            json.WriteString("endpoint", EndPoint.ToString());
            json.WriteNumber("connections", Options.Connections);
            json.WriteNumber("inflight", Options.InFlight);
            json.WriteNumber("size", Options.Size);
            json.WriteNumber("warmupSeconds", Options.WarmupSeconds);
            json.WriteNumber("durationSeconds", MeasuredSeconds);
            json.WriteNumber("roundTripsPerSecond", Math.Round(RoundTripsPerSecond, 1));
            json.WriteNumber("payloadMBPerSecond", Math.Round(PayloadMegabytesPerSecond, 3));
            json.WriteNumber("measuredFrames", MeasuredFrames);
            json.WriteNumber("totalFrames", TotalFrames);
            json.WriteNumber("errors", Errors);
            json.WriteNumber("p50Us", Us(50));
            json.WriteNumber("p90Us", Us(90));
            json.WriteNumber("p99Us", Us(99));
            json.WriteNumber("p999Us", Us(99.9));
            json.WriteNumber("maxUs", Histogram.MaxNanoseconds / 1000.0);
            if (double.IsNaN(ClientCpuCores))
            {
                json.WriteNull("loadgenCpu");
            }
            else
            {
                json.WriteNumber("loadgenCpu", Math.Round(ClientCpuCores, 3));
            }

            json.WriteNumber("jittedWhileMeasuring", JittedWhileMeasuring);
            json.WriteNumber("responsesPerRead", Math.Round(ResponsesPerRead, 2));
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }
}
