// PingPong: typed binary messages on the default envelope wire format.
//   dotnet run --project examples/PingPong      listens on 127.0.0.1:7878
//   --port N picks the port (0 = any free port), --quiet logs warnings only; Ctrl+C stops gracefully.
using Microsoft.Extensions.Logging;
using Wireframe.Examples;
using Wireframe.Examples.PingPong;
using Wireframe.Hosting;

var options = ExampleArgs.Parse(args);
LogLevel level = options.Has("--quiet") ? LogLevel.Warning : LogLevel.Information;
await using WireframeServer server = WireframeServer.Create(PingPongApp.Create())
    .ListenTcp(options.Host, options.Port)
    .ConfigureLogging(logging => logging.AddSimpleConsole(console => console.SingleLine = true).SetMinimumLevel(level))
    .Build();

if (!await ExampleServer.TryStartAsync(server))
{
    return;
}

Console.WriteLine($"Listening on {server.EndPoints[0]}");
await server.RunAsync();
