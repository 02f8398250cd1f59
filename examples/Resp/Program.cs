// Resp: a Redis-compatible key-value server (PING, ECHO, GET, SET, DEL, INCR, EXISTS, ...) that the
// real redis-cli and redis-benchmark talk to.
//   dotnet run --project examples/Resp                      listens on 127.0.0.1:7878
//   redis-cli -p 7878 SET greeting hello                    then: redis-cli -p 7878 GET greeting
//   printf 'PING\r\n' | nc 127.0.0.1 7878                   inline commands work too
//   --port N picks the port (0 = any free port), --quiet logs warnings only, --no-inline handles commands
//   on the thread pool instead of the socket thread; Ctrl+C stops gracefully.
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Wireframe.Examples;
using Wireframe.Examples.Resp;
using Wireframe.Hosting;

var options = ExampleArgs.Parse(args);

// Commands are short, synchronous and in memory, so they run on the socket's I/O thread, the way
// Redis runs everything on its event loop: no thread-pool hop per read. --no-inline turns it off.
bool inline = !options.Has("--no-inline");
if (inline)
{
    // Read by the runtime once, when the first socket is created: this must come before the server starts.
    Environment.SetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS", "1");
}

LogLevel level = options.Has("--quiet") ? LogLevel.Warning : LogLevel.Information;
WireframeServer server = WireframeServer.Create(RespApp.Create())
    .ListenTcp(options.Host, options.Port)
    .ConfigureLogging(l => l.AddSimpleConsole(c => c.SingleLine = true).SetMinimumLevel(level))
    .ConfigureServices(s => s.Configure<SocketTransportOptions>(o => o.UnsafePreferInlineScheduling = inline))
    .Build();

if (!await ExampleServer.TryStartAsync(server))
{
    return;
}

Console.WriteLine($"Listening on {server.EndPoints[0]}");
await server.RunAsync();
