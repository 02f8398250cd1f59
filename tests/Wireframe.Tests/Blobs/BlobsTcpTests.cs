using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using Wireframe.Examples.Blobs;
using Wireframe.Tests.Support;

namespace Wireframe.Tests.Blobs;

/// <summary>The Blobs example over real TCP: messages far above the 32 KiB frame cap, split on both sides.</summary>
public sealed class BlobsTcpTests
{
    private static readonly TimeSpan Safety = TimeSpan.FromMinutes(2);

    [Fact]
    public async Task A_64_MiB_blob_goes_up_and_comes_back_byte_identical_through_32_KiB_frames()
    {
        var store = new BlobStore(maxTotalBytes: 256L * 1024 * 1024);
        await using var server = await TcpTestServer.StartAsync(BlobsApp.Create(store));
        await using BlobClient client = await BlobClient.ConnectAsync("127.0.0.1", server.Port);
        byte[] blob = Payloads.Random(64 * 1024 * 1024, seed: 64);

        byte[] receipt = await client.PutAsync("big", blob).WaitAsync(Safety);
        byte[]? fetched = await client.GetAsync("big").WaitAsync(Safety);

        Assert.Equal(blob.LongLength, System.Buffers.Binary.BinaryPrimitives.ReadInt64BigEndian(receipt));
        Assert.Equal(SHA256.HashData(blob), receipt[8..]);
        Assert.NotNull(fetched);
        Assert.True(blob.AsSpan().SequenceEqual(fetched), "The fetched blob differs from the stored one.");
        Assert.Equal(blob.LongLength, store.TotalBytes);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(LenFlag32K.MaxChunk - 1)]
    [InlineData(LenFlag32K.MaxChunk)]
    [InlineData(LenFlag32K.MaxChunk + 1)]
    [InlineData(3 * LenFlag32K.MaxChunk)]
    public async Task Blobs_at_every_fragment_boundary_round_trip(int size)
    {
        await using var server = await TcpTestServer.StartAsync(BlobsApp.Create(new BlobStore(1L << 30)));
        await using BlobClient client = await BlobClient.ConnectAsync("127.0.0.1", server.Port);
        byte[] blob = Payloads.Random(size, seed: size);

        await client.PutAsync("b", blob).WaitAsync(Safety);
        byte[]? fetched = await client.GetAsync("b").WaitAsync(Safety);

        Assert.Equal(blob, fetched);
    }

    [Fact]
    public async Task An_unknown_name_is_not_found_and_a_full_store_refuses_without_closing()
    {
        await using var server = await TcpTestServer.StartAsync(BlobsApp.Create(new BlobStore(maxTotalBytes: 100_000)));
        await using BlobClient client = await BlobClient.ConnectAsync("127.0.0.1", server.Port);

        Assert.Null(await client.GetAsync("missing").WaitAsync(Safety));
        InvalidOperationException refused = await Assert.ThrowsAsync<InvalidOperationException>(() => client.PutAsync("too-big", new byte[200_000]).WaitAsync(Safety));
        Assert.Contains("full", refused.Message, StringComparison.Ordinal);

        await client.PutAsync("fits", new byte[50_000]).WaitAsync(Safety);
        Assert.Equal(50_000, (await client.GetAsync("fits").WaitAsync(Safety))!.Length);
    }

    [Fact]
    public async Task The_program_stores_and_fetches_a_file_as_its_usage_says()
    {
        await using var server = await TcpTestServer.StartAsync(BlobsApp.Create(new BlobStore(1L << 30)));
        string directory = Directory.CreateTempSubdirectory("blobs-").FullName;
        try
        {
            string source = Path.Combine(directory, "in.bin");
            string copy = Path.Combine(directory, "out.bin");
            byte[] content = Payloads.Random(300_000, seed: 3);
            await File.WriteAllBytesAsync(source, content);

            string put = await RunProgramAsync("--port", server.Port.ToString(CultureInfo.InvariantCulture), "--put", "photo", "--file", source);
            string get = await RunProgramAsync("--port", server.Port.ToString(CultureInfo.InvariantCulture), "--get", "photo", "--file", copy);

            string hash = Convert.ToHexStringLower(SHA256.HashData(content));
            Assert.Equal($"stored photo: 300000 bytes, sha256 {hash}\n", put);
            Assert.Equal($"fetched photo: 300000 bytes, sha256 {hash}\n", get);
            Assert.Equal(content, await File.ReadAllBytesAsync(copy));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static async Task<string> RunProgramAsync(params string[] arguments)
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Blobs.dll"));
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("The Blobs program did not start.");
        using var deadline = new CancellationTokenSource(Safety);
        try
        {
            Task<string> output = process.StandardOutput.ReadToEndAsync(deadline.Token);
            Task<string> errors = process.StandardError.ReadToEndAsync(deadline.Token);
            await process.WaitForExitAsync(deadline.Token);
            Assert.True(process.ExitCode == 0, $"Exit code {process.ExitCode}: {await errors}");
            return await output;
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
    }
}
