using System.Globalization;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Wireframe.Baseline;

int port = 7879;
for (int i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--port" when i + 1 < args.Length
            && int.TryParse(args[i + 1], NumberStyles.Integer, CultureInfo.InvariantCulture, out port)
            && port is >= 0 and <= 65535:
            i++;
            break;

        // Frames are echoed byte for byte, which is already a correct envelope reply; the flag
        // exists so scripts can pass the same arguments to the baseline and the framework server.
        case "--mode" when i + 1 < args.Length && args[i + 1] is "raw" or "envelope":
            i++;
            break;

        default:
            await Console.Error.WriteLineAsync($"""
                error: unexpected argument '{args[i]}'
                usage: Wireframe.Baseline [--port N (default 7879, 0 = any)] [--mode raw|envelope]
                """);
            return 2;
    }
}

// No args forwarded: the host would otherwise read our flags as configuration keys.
WebApplicationBuilder builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
builder.Logging.SetMinimumLevel(LogLevel.Warning);

// Kestrel waits for open connections on shutdown; a benchmark server should stop promptly instead.
builder.Services.Configure<HostOptions>(host => host.ShutdownTimeout = TimeSpan.FromSeconds(1));
builder.WebHost.ConfigureKestrel(kestrel =>
    kestrel.Listen(IPAddress.Loopback, port, listen => listen.UseConnectionHandler<EchoHandler>()));

await using WebApplication app = builder.Build();
await app.StartAsync();

// With --port 0 only the server knows which port it got.
string address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
Console.WriteLine($"Listening on 127.0.0.1:{new Uri(address).Port}");

await app.WaitForShutdownAsync();
return 0;
