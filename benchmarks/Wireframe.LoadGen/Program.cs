using Wireframe.LoadGen;

// Run socket continuations directly on the epoll thread instead of queueing them to the thread
// pool: on the generator's single core that hop costs a context switch per read. The runtime reads
// this variable once, when the first socket operation starts, so setting it here still takes effect.
if (Environment.GetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS") is null)
{
    Environment.SetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS", "1");
}

LoadOptions options;
try
{
    options = LoadOptions.Parse(args);
}
catch (ArgumentException ex)
{
    await Console.Error.WriteLineAsync($"error: {ex.Message}");
    await Console.Error.WriteLineAsync(LoadOptions.Usage);
    return 2;
}

if (options.Help)
{
    Console.WriteLine(LoadOptions.Usage);
    return 0;
}

try
{
    return options.IdleConnections > 0
        ? await IdleRun.RunAsync(options)
        : await LoadRun.RunAsync(options);
}
catch (ConnectFailedException ex)
{
    await Console.Error.WriteLineAsync($"ERROR: {ex.Message}");
    return 1;
}
