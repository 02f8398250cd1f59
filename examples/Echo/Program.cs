// Echo: the smallest Wireframe server.
//   dotnet run --project examples/Echo              routed envelope echo on 127.0.0.1:7878
//   dotnet run --project examples/Echo -- --raw     length-prefixed frames echoed byte for byte
//   dotnet run --project examples/Echo -- --fragment N   routed echo with fragmentation at N bytes per fragment
//   --port N picks the port (0 = any free port), --quiet logs warnings only; Ctrl+C stops gracefully.
using Microsoft.Extensions.Logging;
using Wireframe.Examples;
using Wireframe.Examples.Echo;
using Wireframe.Hosting;

var options = ExampleArgs.Parse(args);
LogLevel level = options.Has("--quiet") ? LogLevel.Warning : LogLevel.Information;
WireframeServer server = options.Has("--raw")
    ? WireframeServer.Create(EchoApp.CreateRaw()).ListenTcp(options.Host, options.Port).ConfigureLogging(l => l.AddSimpleConsole(c => c.SingleLine = true).SetMinimumLevel(level)).Build()
    : WireframeServer.Create(options.Value("--fragment") is { } cap ? EchoApp.CreateFragmented(int.Parse(cap, System.Globalization.CultureInfo.InvariantCulture)) : EchoApp.CreateRouted()).ListenTcp(options.Host, options.Port).ConfigureLogging(l => l.AddSimpleConsole(c => c.SingleLine = true).SetMinimumLevel(level)).Build();

if (!await ExampleServer.TryStartAsync(server))
{
    return;
}

Console.WriteLine($"Listening on {server.EndPoints[0]}");
await server.RunAsync();
