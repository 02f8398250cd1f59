using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Wireframe.Diagnostics;

namespace Wireframe.Tests.Support;

/// <summary>
/// Records the measurements of one server's "Wireframe.Server" meter. Every host creates its meter
/// through its own <see cref="IMeterFactory"/>, which becomes the meter's scope, so filtering on the
/// scope keeps servers of tests running in parallel apart.
/// </summary>
public sealed class MetricCapture : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentQueue<CapturedMeasurement> _measurements = new();

    public MetricCapture(IServiceProvider services)
        : this(services.GetRequiredService<IMeterFactory>())
    {
    }

    public MetricCapture(IMeterFactory scope, string meterName = WireframeMetrics.MeterName)
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == meterName && ReferenceEquals(instrument.Meter.Scope, scope))
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Record(instrument, value, tags));
        _listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => Record(instrument, value, tags));
        _listener.Start();
    }

    public IReadOnlyList<CapturedMeasurement> Measurements => _measurements.ToArray();

    /// <summary>Sums an instrument's measurements, optionally only those carrying a tag value.</summary>
    public double Sum(string instrument, string? tag = null, string? value = null) =>
        _measurements
            .Where(m => m.Instrument == instrument && (tag is null || Equals(m.Tags.GetValueOrDefault(tag), value)))
            .Sum(m => m.Value);

    /// <summary>The count of <c>wireframe.server.errors</c> with the given <c>error.type</c>.</summary>
    public double Errors(string errorType) => Sum("wireframe.server.errors", "error.type", errorType);

    public void Dispose() => _listener.Dispose();

    private void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var copy = new Dictionary<string, object?>();
        foreach (KeyValuePair<string, object?> tag in tags)
        {
            copy[tag.Key] = tag.Value;
        }

        _measurements.Enqueue(new CapturedMeasurement(instrument.Name, value, copy));
    }
}
