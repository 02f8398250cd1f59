using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;

namespace Wireframe.Tests.Connections;

/// <summary>
/// Records the measurements of one test host's Wireframe meter only: instruments are matched by the
/// meter's scope, the host's <see cref="IMeterFactory"/>, so tests running in parallel do not mix.
/// </summary>
internal sealed class MetricRecorder : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly List<(string Instrument, double Value, KeyValuePair<string, object?>[] Tags)> _measurements = [];

    public MetricRecorder(IServiceProvider services)
    {
        IMeterFactory factory = services.GetRequiredService<IMeterFactory>();
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (ReferenceEquals(instrument.Meter.Scope, factory) && instrument.Meter.Name == Wireframe.Diagnostics.WireframeMetrics.MeterName)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Add(instrument.Name, value, tags));
        _listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => Add(instrument.Name, value, tags));
        _listener.Start();
    }

    /// <summary>Sums an instrument's measurements, optionally only those with a given tag value.</summary>
    public double Sum(string instrument, string? tag = null, string? value = null)
    {
        lock (_measurements)
        {
            return _measurements
                .Where(m => m.Instrument == instrument)
                .Where(m => tag is null || m.Tags.Any(t => t.Key == tag && Equals(t.Value, value)))
                .Sum(m => m.Value);
        }
    }

    public IReadOnlyList<(double Value, KeyValuePair<string, object?>[] Tags)> All(string instrument)
    {
        lock (_measurements)
        {
            return _measurements.Where(m => m.Instrument == instrument).Select(m => (m.Value, m.Tags)).ToList();
        }
    }

    public void Dispose() => _listener.Dispose();

    private void Add(string instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        KeyValuePair<string, object?>[] copy = tags.ToArray();
        lock (_measurements)
        {
            _measurements.Add((instrument, value, copy));
        }
    }
}
