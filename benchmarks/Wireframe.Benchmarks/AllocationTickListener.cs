using System.Collections.Concurrent;
using System.Diagnostics.Tracing;

namespace Wireframe.Benchmarks;

/// <summary>
/// Samples the runtime's GC AllocationTick events (one per ~100 KB allocated) with the type that
/// tipped each sample over, to name what a steady-state loop allocates. The listener allocates
/// itself, so byte counts taken while it records are not exact.
/// </summary>
internal sealed class AllocationTickListener : EventListener
{
    private const int AllocationTickEventId = 10;
    private const EventKeywords GcKeyword = (EventKeywords)0x1;

    private readonly ConcurrentDictionary<string, long> _bytesByType = new();
    private volatile bool _recording;

    public void Start()
    {
        _bytesByType.Clear();
        _recording = true;
    }

    public IReadOnlyList<KeyValuePair<string, long>> Stop()
    {
        _recording = false;
        return [.. _bytesByType.OrderByDescending(pair => pair.Value)];
    }

    protected override void OnEventSourceCreated(EventSource eventSource)
    {
        if (eventSource.Name == "Microsoft-Windows-DotNETRuntime")
        {
            EnableEvents(eventSource, EventLevel.Verbose, GcKeyword);
        }
    }

    protected override void OnEventWritten(EventWrittenEventArgs eventData)
    {
        if (!_recording || eventData.EventId != AllocationTickEventId || eventData.Payload is null || eventData.PayloadNames is null)
        {
            return;
        }

        int typeIndex = eventData.PayloadNames.IndexOf("TypeName");
        int amountIndex = eventData.PayloadNames.IndexOf("AllocationAmount64");
        string type = typeIndex >= 0 ? eventData.Payload[typeIndex] as string ?? "?" : "?";
        long amount = amountIndex >= 0 && eventData.Payload[amountIndex] is ulong bytes ? (long)bytes : 0;
        _bytesByType.AddOrUpdate(type, amount, (_, total) => total + amount);
    }
}
