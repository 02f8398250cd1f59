// Blobs: a blob store on a transport whose frames carry at most 32 KiB; larger messages travel in
// fragments (LenFlag32K) and are put back together before handlers see them.
//   dotnet run --project examples/Blobs                                   server on 127.0.0.1:7878
//   dotnet run --project examples/Blobs -- --put NAME --file PATH         store a file
//   dotnet run --project examples/Blobs -- --get NAME --file PATH         fetch it back
//   --port N picks the port (0 = any free port), --quiet logs warnings only; Ctrl+C stops gracefully.
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Wireframe.Examples;
using Wireframe.Examples.Blobs;
using Wireframe.Hosting;

var options = ExampleArgs.Parse(args);
if (options.Value("--put") is { } putName)
{
    byte[] content = await File.ReadAllBytesAsync(options.Value("--file") ?? throw new ArgumentException("--put needs --file PATH"));
    await using BlobClient client = await BlobClient.ConnectAsync(options.Host, options.Port);
    byte[] receipt = await client.PutAsync(putName, content);
    Console.WriteLine($"stored {putName}: {content.Length} bytes, sha256 {Convert.ToHexStringLower(receipt.AsSpan(8))}");
    return 0;
}

if (options.Value("--get") is { } getName)
{
    string path = options.Value("--file") ?? throw new ArgumentException("--get needs --file PATH");
    await using BlobClient client = await BlobClient.ConnectAsync(options.Host, options.Port);
    byte[]? blob = await client.GetAsync(getName);
    if (blob is null)
    {
        Console.Error.WriteLine($"no blob named {getName}");
        return 1;
    }

    await File.WriteAllBytesAsync(path, blob);
    Console.WriteLine($"fetched {getName}: {blob.Length} bytes, sha256 {Convert.ToHexStringLower(SHA256.HashData(blob))}");
    return 0;
}

LogLevel level = options.Has("--quiet") ? LogLevel.Warning : LogLevel.Information;
await using WireframeServer server = WireframeServer.Create(BlobsApp.Create(new BlobStore(maxTotalBytes: 1L << 30)))
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
