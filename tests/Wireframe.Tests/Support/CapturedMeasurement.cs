namespace Wireframe.Tests.Support;

/// <summary>One measurement seen by <see cref="MetricCapture"/>.</summary>
public sealed record CapturedMeasurement(string Instrument, double Value, IReadOnlyDictionary<string, object?> Tags);
