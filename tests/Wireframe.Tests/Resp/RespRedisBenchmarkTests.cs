using System.Globalization;
using System.Text.RegularExpressions;
using Wireframe.Examples.Resp;
using Wireframe.Tests.Support;

namespace Wireframe.Tests.Resp;

/// <summary>The real redis-benchmark, pipelining 16 commands per connection over 50 connections.</summary>
public sealed partial class RespRedisBenchmarkTests
{
    [Fact]
    public async Task Redis_benchmark_runs_ping_set_and_get_to_completion()
    {
        var store = new RespStore();
        await using var server = await TcpTestServer.StartAsync(RespApp.Create(store));
        string port = server.Port.ToString(CultureInfo.InvariantCulture);

        ToolResult result = await RedisTools.RunAsync("redis-benchmark", ["-h", "127.0.0.1", "-p", port, "-t", "ping,set,get", "-n", "10000", "-P", "16", "-q"], timeout: TimeSpan.FromMinutes(3));

        Assert.True(result.ExitCode == 0, result.ToString());
        var rates = new Dictionary<string, double>();
        foreach (string line in result.Lines)
        {
            if (RateLine().Match(line) is { Success: true } match)
            {
                rates[match.Groups["test"].Value] = double.Parse(match.Groups["rate"].Value, CultureInfo.InvariantCulture);
            }
        }

        foreach (string test in new[] { "PING_INLINE", "PING_MBULK", "SET", "GET" })
        {
            Assert.True(rates.TryGetValue(test, out double rate) && rate > 0, $"No requests-per-second line for {test}.{Environment.NewLine}{result}");
        }

        // Its SET is "SET key:__rand_int__ <3 random bytes>" (without -r the key is literal).
        Assert.True(store.TryGet("key:__rand_int__"u8, out byte[]? value), result.ToString());
        Assert.Equal(3, value.Length);
    }

    [GeneratedRegex(@"^(?<test>[A-Z_]+): (?<rate>[0-9.]+) requests per second")]
    private static partial Regex RateLine();
}
