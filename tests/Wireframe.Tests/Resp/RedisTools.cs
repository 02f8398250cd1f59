using System.Diagnostics;
using System.Text;

namespace Wireframe.Tests.Resp;

/// <summary>Runs the real Redis command-line tools (package redis-tools) against a test server.</summary>
internal static class RedisTools
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(60);

    /// <summary>Finds a tool on PATH, or fails the test saying what to install.</summary>
    public static string Find(string name)
    {
        foreach (string directory in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            string candidate = Path.Combine(directory, name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        Assert.Fail($"'{name}' was not found on PATH. These tests drive the real Redis client tools: install the redis-tools package (for example 'sudo apt-get install redis-tools'); CI installs it.");
        return name;
    }

    /// <summary>Runs redis-cli against 127.0.0.1:<paramref name="port"/>.</summary>
    public static Task<ToolResult> CliAsync(int port, string[] arguments, byte[]? stdin = null) =>
        RunAsync("redis-cli", ["-h", "127.0.0.1", "-p", port.ToString(System.Globalization.CultureInfo.InvariantCulture), .. arguments], stdin);

    /// <summary>Runs a tool to completion; on timeout or failure the process tree is killed.</summary>
    public static async Task<ToolResult> RunAsync(string name, string[] arguments, byte[]? stdin = null, TimeSpan? timeout = null)
    {
        var start = new ProcessStartInfo(Find(name))
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{name} did not start.");
        var stdout = new MemoryStream();
        var stderr = new MemoryStream();
        Task readOut = process.StandardOutput.BaseStream.CopyToAsync(stdout);
        Task readErr = process.StandardError.BaseStream.CopyToAsync(stderr);
        using var deadline = new CancellationTokenSource(timeout ?? DefaultTimeout);
        try
        {
            try
            {
                if (stdin is not null)
                {
                    await process.StandardInput.BaseStream.WriteAsync(stdin, deadline.Token);
                }

                process.StandardInput.Close();
            }
            catch (IOException)
            {
                // The tool exited without reading all its input; its exit code and output say why.
            }

            await process.WaitForExitAsync(deadline.Token);
            await Task.WhenAll(readOut, readErr).WaitAsync(deadline.Token);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            throw new TimeoutException($"{name} {string.Join(' ', arguments)} did not finish within {timeout ?? DefaultTimeout}.{Environment.NewLine}stdout: {Encoding.UTF8.GetString(stdout.ToArray())}{Environment.NewLine}stderr: {Encoding.UTF8.GetString(stderr.ToArray())}");
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }

        return new ToolResult(process.ExitCode, stdout.ToArray(), stderr.ToArray());
    }
}

internal sealed record ToolResult(int ExitCode, byte[] StdoutBytes, byte[] StderrBytes)
{
    public string Stdout => Encoding.UTF8.GetString(StdoutBytes);

    public string Stderr => Encoding.UTF8.GetString(StderrBytes);

    /// <summary>Gets stdout's lines, without line endings (redis-benchmark also rewrites lines with CR).</summary>
    public string[] Lines => Stdout.Split(['\n', '\r'], StringSplitOptions.RemoveEmptyEntries);

    public override string ToString() => $"exit {ExitCode}{Environment.NewLine}stdout: {Stdout}{Environment.NewLine}stderr: {Stderr}";
}
