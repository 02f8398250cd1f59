using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Wireframe.Tests.PingPong;

/// <summary>A logger factory that counts how often each category is asked for, around a real one.</summary>
public sealed class CountingLoggerFactory(ILoggerFactory inner) : ILoggerFactory
{
    private readonly ConcurrentDictionary<string, int> _created = new(StringComparer.Ordinal);

    public int CreatedCount(string category) => _created.TryGetValue(category, out int count) ? count : 0;

    public void AddProvider(ILoggerProvider provider) => inner.AddProvider(provider);

    public ILogger CreateLogger(string categoryName)
    {
        _created.AddOrUpdate(categoryName, 1, static (_, count) => count + 1);
        return inner.CreateLogger(categoryName);
    }

    public void Dispose() => inner.Dispose();
}
