// Resp: a Redis-compatible key-value server (PING, ECHO, GET, SET, DEL, INCR, EXISTS, ...) that the
// real redis-cli and redis-benchmark talk to.
//   dotnet run --project examples/Resp                      listens on 127.0.0.1:7878
//   redis-cli -p 7878 SET greeting hello                    then: redis-cli -p 7878 GET greeting
//   printf 'PING\r\n' | nc 127.0.0.1 7878                   inline commands work too
//   --port N picks the port (0 = any free port), --quiet logs warnings only; Ctrl+C stops gracefully.
using Microsoft.Extensions.Logging;
using Wireframe.Examples;
using Wireframe.Examples.Resp;
using Wireframe.Hosting;

var options = ExampleArgs.Parse(args);
LogLevel level = options.Has("--quiet") ? LogLevel.Warning : LogLevel.Information;
WireframeServer server = WireframeServer.Create(RespApp.Create())
    .ListenTcp(options.Host, options.Port)
    .ConfigureLogging(l => l.AddSimpleConsole(c => c.SingleLine = true).SetMinimumLevel(level))
    .Build();

await server.StartAsync();
Console.WriteLine($"Listening on {server.EndPoints[0]}");
await server.RunAsync();
