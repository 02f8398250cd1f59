using BenchmarkDotNet.Attributes;

namespace Wireframe.Benchmarks;

/// <summary>
/// Request/response through the real connection code (<c>WireframeConnectionHandler</c> serving the
/// test kit's in-memory connection): each op sends a batch of 16 frames (128-byte payloads with
/// correlation ids; 4-byte typed messages for PingPong), flushes, and reads the 16 responses.
/// Reported per frame; the ratio is against the hand-written echo on the same harness.
/// </summary>
[MemoryDiagnoser]
public class DispatchBenchmarks
{
    private const int FramesPerOp = DispatchScenarios.FramesPerBatch;
    private RoundTripHarness _harness = null!;

    [Params(Scheduling.Inline, Scheduling.ThreadPool)]
    public Scheduling Scheduling { get; set; }

    [GlobalSetup(Target = nameof(HandWrittenEcho))]
    public void SetupHandWritten() => _harness = DispatchScenarios.Start(Scenario.HandWrittenEcho, Scheduling);

    [GlobalSetup(Target = nameof(RoutedEcho))]
    public void SetupRouted() => _harness = DispatchScenarios.Start(Scenario.RoutedEcho, Scheduling);

    [GlobalSetup(Target = nameof(RoutedEchoConcurrent))]
    public void SetupRoutedConcurrent() => _harness = DispatchScenarios.Start(Scenario.RoutedEchoConcurrent, Scheduling);

    [GlobalSetup(Target = nameof(RoutedEchoFragmented))]
    public void SetupRoutedFragmented() => _harness = DispatchScenarios.Start(Scenario.RoutedEchoFragmented, Scheduling);

    [GlobalSetup(Target = nameof(RawEcho))]
    public void SetupRaw() => _harness = DispatchScenarios.Start(Scenario.RawEcho, Scheduling);

    [GlobalSetup(Target = nameof(RawEchoRouted))]
    public void SetupRawRouted() => _harness = DispatchScenarios.Start(Scenario.RawEchoRouted, Scheduling);

    [GlobalSetup(Target = nameof(TypedPingPong))]
    public void SetupTyped() => _harness = DispatchScenarios.Start(Scenario.TypedPingPong, Scheduling);

    [GlobalCleanup]
    public void Cleanup() => _harness.DisposeAsync().AsTask().GetAwaiter().GetResult();

    [Benchmark(Baseline = true, OperationsPerInvoke = FramesPerOp)]
    public void HandWrittenEcho() => _harness.RoundTrip();

    [Benchmark(OperationsPerInvoke = FramesPerOp)]
    public void RoutedEcho() => _harness.RoundTrip();

    [Benchmark(OperationsPerInvoke = FramesPerOp)]
    public void RoutedEchoConcurrent() => _harness.RoundTrip();

    [Benchmark(OperationsPerInvoke = FramesPerOp)]
    public void RoutedEchoFragmented() => _harness.RoundTrip();

    [Benchmark(OperationsPerInvoke = FramesPerOp)]
    public void RawEcho() => _harness.RoundTrip();

    [Benchmark(OperationsPerInvoke = FramesPerOp)]
    public void RawEchoRouted() => _harness.RoundTrip();

    [Benchmark(OperationsPerInvoke = FramesPerOp)]
    public void TypedPingPong() => _harness.RoundTrip();
}
