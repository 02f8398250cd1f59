using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace Wireframe.Tests.Resp;

/// <summary>The example's program as users run it: it prints its endpoint, serves redis-cli, and stops on Ctrl+C.</summary>
public sealed partial class RespProgramTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Program_prints_its_endpoint_serves_redis_cli_and_exits_cleanly_on_sigint()
    {
        RedisTools.Find("redis-cli");
        // Through env, which resets SIGINT to its default: a test run started in the background of a
        // shell without job control inherits SIGINT ignored, and .NET installs no Ctrl+C handler then.
        var start = new ProcessStartInfo("env")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in new[] { "--default-signal=INT", Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet", Path.Combine(AppContext.BaseDirectory, "Resp.dll"), "--port", "0", "--quiet" })
        {
            start.ArgumentList.Add(argument);
        }

        using var server = Process.Start(start) ?? throw new InvalidOperationException("The Resp program did not start.");
        try
        {
            using var deadline = new CancellationTokenSource(Timeout);

            // Pipe reads ignore cancellation once started, so the wait itself carries the deadline.
            string? line = await server.StandardOutput.ReadLineAsync(deadline.Token).AsTask().WaitAsync(deadline.Token);
            Match listening = ListeningLine().Match(line ?? "");
            Assert.True(listening.Success, $"Expected 'Listening on 127.0.0.1:PORT' as the first line, got '{line}'.");
            int port = int.Parse(listening.Groups["port"].Value, CultureInfo.InvariantCulture);

            ToolResult ping = await RedisTools.CliAsync(port, ["PING"]);
            ToolResult set = await RedisTools.CliAsync(port, ["SET", "k", "v"]);
            ToolResult get = await RedisTools.CliAsync(port, ["GET", "k"]);
            Assert.Equal("PONG\n", ping.Stdout);
            Assert.Equal("OK\n", set.Stdout);
            Assert.Equal("v\n", get.Stdout);

            ToolResult interrupt = await RedisTools.RunAsync("kill", ["-INT", server.Id.ToString(CultureInfo.InvariantCulture)]);
            Assert.True(interrupt.ExitCode == 0, interrupt.ToString());
            await server.WaitForExitAsync(deadline.Token);
            Assert.True(server.ExitCode == 0, $"Exit code {server.ExitCode}; stderr: {await server.StandardError.ReadToEndAsync(deadline.Token)}");
        }
        finally
        {
            if (!server.HasExited)
            {
                server.Kill(entireProcessTree: true);
            }
        }
    }

    [GeneratedRegex(@"^Listening on 127\.0\.0\.1:(?<port>[0-9]+)$")]
    private static partial Regex ListeningLine();
}
