// Wireframe micro-benchmarks.
//   dotnet run -c Release --project benchmarks/Wireframe.Benchmarks -- --filter '*' --job short
//   dotnet run -c Release --project benchmarks/Wireframe.Benchmarks -- --alloc-probe [--trace]
//   dotnet run -c Release --project benchmarks/Wireframe.Benchmarks -- --compare [--thread-pool]
//   dotnet run -c Release --project benchmarks/Wireframe.Benchmarks -- --pushes [ROUNDS]
//   dotnet run -c Release --project benchmarks/Wireframe.Benchmarks -- --client-calls --port P [--callers 64 --size 128 --warmup 4 --duration 8]
// The allocation probe exits non-zero when any dispatch scenario allocates in steady state.
using BenchmarkDotNet.Running;
using Wireframe.Benchmarks;

if (args.Length > 0 && args[0] == "--alloc-probe")
{
    return AllocationProbe.Run(args[1..]);
}

if (args.Length > 0 && args[0] == "--pushes")
{
    return await PushBenchmarks.RunAsync(args[1..]);
}

if (args.Length > 0 && args[0] == "--client-calls")
{
    return await ClientCallBenchmark.RunAsync(args[1..]);
}

if (args.Length > 0 && args[0] == "--compare")
{
    return InterleavedComparison.Run(args[1..]);
}

BenchmarkSwitcher.FromAssembly(typeof(DispatchBenchmarks).Assembly).Run(args);
return 0;
