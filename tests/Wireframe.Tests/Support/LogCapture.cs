using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Wireframe.Tests.Support;

/// <summary>
/// A logger provider that keeps every entry in memory, so tests can assert what the server logged
/// (level, event id, structured properties). Add it with <c>logging.AddProvider(capture)</c>.
/// </summary>
public sealed class LogCapture : ILoggerProvider
{
    private readonly ConcurrentQueue<CapturedLog> _entries = new();

    public IReadOnlyList<CapturedLog> Entries => _entries.ToArray();

    /// <summary>Entries of the framework's own category ("Wireframe") with the given event id.</summary>
    public IReadOnlyList<CapturedLog> Wireframe(int eventId) =>
        _entries.Where(e => e.Category == "Wireframe" && e.EventId == eventId).ToArray();

    public ILogger CreateLogger(string categoryName) => new CapturingLogger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class CapturingLogger(LogCapture owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var properties = new Dictionary<string, object?>();
            if (state is IEnumerable<KeyValuePair<string, object?>> pairs)
            {
                foreach (KeyValuePair<string, object?> pair in pairs)
                {
                    properties[pair.Key] = pair.Value;
                }
            }

            owner._entries.Enqueue(new CapturedLog(category, logLevel, eventId.Id, formatter(state, exception), exception, properties));
        }
    }
}
