// PingPong: typed binary messages on the default envelope wire format.
//   dotnet run --project examples/PingPong                            listens on 127.0.0.1:7878
//   dotnet run --project examples/PingPong -- --client [--count N]    N pings (default 10) in flight at once through
//                                                                      one WireframeClient, then an overflowing ping
//   --port N picks the port (0 = any free port), --quiet logs warnings only; Ctrl+C stops gracefully.
using System.Globalization;
using Microsoft.Extensions.Logging;
using Wireframe.Examples;
using Wireframe.Examples.PingPong;
using Wireframe.Hosting;

var options = ExampleArgs.Parse(args);
if (options.Has("--client"))
{
    int count = int.Parse(options.Value("--count") ?? PingPongClient.DefaultCount.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
    using var stop = new CancellationTokenSource();
    Console.CancelKeyPress += (_, e) =>
    {
        e.Cancel = true;
        stop.Cancel();
    };
    return await PingPongClient.RunAsync(options.Host, options.Port, count, Console.Out, stop.Token);
}

LogLevel level = options.Has("--quiet") ? LogLevel.Warning : LogLevel.Information;
await using WireframeServer server = WireframeServer.Create(PingPongApp.Create())
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
