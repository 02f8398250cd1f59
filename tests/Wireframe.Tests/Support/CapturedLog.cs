using Microsoft.Extensions.Logging;

namespace Wireframe.Tests.Support;

/// <summary>One log entry seen by <see cref="LogCapture"/>, with its structured properties.</summary>
public sealed record CapturedLog(
    string Category,
    LogLevel Level,
    int EventId,
    string Message,
    Exception? Exception,
    IReadOnlyDictionary<string, object?> Properties)
{
    public object? this[string property] => Properties.TryGetValue(property, out object? value) ? value : null;
}
