// Chat: pushes, a streamed history and a heartbeat on the default envelope wire format (JSON payloads).
//   dotnet run --project examples/Chat                      server on 127.0.0.1:7878
//   dotnet run --project examples/Chat -- --client alice    a terminal client on WireframeClient (type lines; /history N; /quit)
//   --port N picks the port (0 = any free port), --heartbeat SECONDS (default 15, 0 = off), --quiet logs warnings only.
using Microsoft.Extensions.Logging;
using Wireframe.Examples;
using Wireframe.Examples.Chat;
using Wireframe.Hosting;

var options = ExampleArgs.Parse(args);
if (options.Value("--client") is { } name)
{
    using var stop = new CancellationTokenSource();
    Console.CancelKeyPress += (_, e) =>
    {
        e.Cancel = true;
        stop.Cancel();
    };
    return await ChatClient.RunAsync(options.Host, options.Port, name, Console.In, Console.Out, stop.Token);
}

int heartbeatSeconds = int.Parse(options.Value("--heartbeat") ?? "15", System.Globalization.CultureInfo.InvariantCulture);
TimeSpan heartbeat = heartbeatSeconds > 0 ? TimeSpan.FromSeconds(heartbeatSeconds) : Timeout.InfiniteTimeSpan;
LogLevel level = options.Has("--quiet") ? LogLevel.Warning : LogLevel.Information;
await using WireframeServer server = WireframeServer.Create(ChatApp.Create(new ChatRoom(), heartbeat))
    .ListenTcp(options.Host, options.Port)
    .ConfigureLogging(logging => logging.AddSimpleConsole(console => console.SingleLine = true).SetMinimumLevel(level))
    .Build();

if (!await ExampleServer.TryStartAsync(server))
{
    return 0;
}

Console.WriteLine($"Listening on {server.EndPoints[0]}");
await server.RunAsync();
return 0;
