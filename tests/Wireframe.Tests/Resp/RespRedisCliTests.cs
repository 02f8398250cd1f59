using System.Text;
using Wireframe.Examples.Resp;
using Wireframe.Tests.Support;

namespace Wireframe.Tests.Resp;

/// <summary>The server on a real socket, driven by the real redis-cli.</summary>
public sealed class RespRedisCliTests
{
    [Fact]
    public async Task Ping_answers_pong()
    {
        await using var server = await TcpTestServer.StartAsync(RespApp.Create());

        ToolResult result = await RedisTools.CliAsync(server.Port, ["PING"]);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("PONG\n", result.Stdout);
    }

    [Fact]
    public async Task Set_then_get_round_trips_a_value_with_spaces_and_unicode()
    {
        var store = new RespStore();
        await using var server = await TcpTestServer.StartAsync(RespApp.Create(store));

        ToolResult set = await RedisTools.CliAsync(server.Port, ["SET", "greeting", "héllo wörld ✓"]);
        ToolResult get = await RedisTools.CliAsync(server.Port, ["GET", "greeting"]);
        ToolResult missing = await RedisTools.CliAsync(server.Port, ["GET", "nothing"]);

        Assert.Equal("OK\n", set.Stdout);
        Assert.Equal("héllo wörld ✓\n", get.Stdout);
        Assert.Equal("\n", missing.Stdout);
        Assert.True(store.TryGet(Encoding.UTF8.GetBytes("greeting"), out byte[]? stored));
        Assert.Equal("héllo wörld ✓", Encoding.UTF8.GetString(stored));
    }

    [Fact]
    public async Task Binary_value_read_from_stdin_comes_back_byte_for_byte()
    {
        var store = new RespStore();
        await using var server = await TcpTestServer.StartAsync(RespApp.Create(store));
        byte[] value = [.. Enumerable.Range(0, 256).Select(i => (byte)i), .. "\r\n*1\r\n$4\r\nPING\r\n"u8, 0, 0, 255];

        // -x sends stdin, unchanged, as the last argument.
        ToolResult set = await RedisTools.CliAsync(server.Port, ["-x", "SET", "blob"], value);
        ToolResult get = await RedisTools.CliAsync(server.Port, ["--raw", "GET", "blob"]);

        Assert.True(set.ExitCode == 0, set.ToString());
        Assert.True(store.TryGet("blob"u8, out byte[]? stored));
        Assert.Equal(value, stored);
        Assert.Equal([.. value, (byte)'\n'], get.StdoutBytes);
    }

    [Fact]
    public async Task Incr_counts_and_refuses_a_non_integer()
    {
        await using var server = await TcpTestServer.StartAsync(RespApp.Create());

        Assert.Equal("1\n", (await RedisTools.CliAsync(server.Port, ["INCR", "hits"])).Stdout);
        Assert.Equal("2\n", (await RedisTools.CliAsync(server.Port, ["INCR", "hits"])).Stdout);
        await RedisTools.CliAsync(server.Port, ["SET", "word", "abc"]);
        Assert.Equal("ERR value is not an integer or out of range", FirstLine(await RedisTools.CliAsync(server.Port, ["INCR", "word"])));
    }

    [Fact]
    public async Task Del_and_exists_count_keys()
    {
        await using var server = await TcpTestServer.StartAsync(RespApp.Create());
        await RedisTools.CliAsync(server.Port, ["SET", "a", "1"]);
        await RedisTools.CliAsync(server.Port, ["SET", "b", "2"]);

        Assert.Equal("3\n", (await RedisTools.CliAsync(server.Port, ["EXISTS", "a", "b", "a", "c"])).Stdout);
        Assert.Equal("2\n", (await RedisTools.CliAsync(server.Port, ["DEL", "a", "b", "c"])).Stdout);
        Assert.Equal("0\n", (await RedisTools.CliAsync(server.Port, ["EXISTS", "a", "b"])).Stdout);
    }

    [Fact]
    public async Task Echo_returns_its_argument()
    {
        await using var server = await TcpTestServer.StartAsync(RespApp.Create());

        Assert.Equal("say \"hi\"\n", (await RedisTools.CliAsync(server.Port, ["ECHO", "say \"hi\""])).Stdout);
    }

    [Fact]
    public async Task Unknown_command_error_is_worded_as_in_redis()
    {
        await using var server = await TcpTestServer.StartAsync(RespApp.Create());

        ToolResult result = await RedisTools.CliAsync(server.Port, ["FLUSHALL", "ASYNC", "now"]);

        Assert.Equal("ERR unknown command 'FLUSHALL', with args beginning with: 'ASYNC' 'now' ", FirstLine(result));
    }

    [Fact]
    public async Task Wrong_arity_error_is_worded_as_in_redis()
    {
        await using var server = await TcpTestServer.StartAsync(RespApp.Create());

        ToolResult result = await RedisTools.CliAsync(server.Port, ["GET", "a", "b"]);

        Assert.Equal("ERR wrong number of arguments for 'get' command", FirstLine(result));
    }

    [Fact]
    public async Task Commands_read_from_stdin_are_answered_in_order()
    {
        await using var server = await TcpTestServer.StartAsync(RespApp.Create());
        byte[] script = Encoding.ASCII.GetBytes("SET n 10\nINCR n\nGET n\nECHO done\nDEL n\nGET n\n");

        ToolResult result = await RedisTools.CliAsync(server.Port, [], script);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("OK\n11\n11\ndone\n1\n\n", result.Stdout);
    }

    [Fact]
    public async Task Pipe_mode_mass_insert_of_protocol_and_inline_commands_gets_every_reply()
    {
        var store = new RespStore();
        await using var server = await TcpTestServer.StartAsync(RespApp.Create(store));
        var script = new List<byte>();
        for (int i = 0; i < 1000; i++)
        {
            // Alternate the two forms a client may send: RESP arrays and inline lines.
            script.AddRange(i % 2 == 0
                ? RespBytes.Encode(RespFrame.Command("SET", $"key:{i}", $"value:{i}"))
                : Encoding.ASCII.GetBytes($"SET key:{i} value:{i}\r\n"));
        }

        script.AddRange(RespBytes.Encode(RespFrame.Command("INCR", "key:0")));

        // --pipe writes everything without waiting, then ends with an ECHO of a marker to know it has all replies.
        ToolResult result = await RedisTools.CliAsync(server.Port, ["--pipe"], [.. script]);

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Contains("errors: 1, replies: 1001", result.Stdout, StringComparison.Ordinal);
        Assert.Equal(1000, store.Count);
        Assert.True(store.TryGet("key:999"u8, out byte[]? value));
        Assert.Equal("value:999", Encoding.ASCII.GetString(value));
    }

    [Fact]
    public async Task Pipe_mode_without_errors_exits_zero()
    {
        await using var server = await TcpTestServer.StartAsync(RespApp.Create());
        byte[] script = [.. RespBytes.Encode(RespFrame.Command("SET", "a", "1")), .. "INCR a\r\nPING\r\n"u8];

        ToolResult result = await RedisTools.CliAsync(server.Port, ["--pipe"], script);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("errors: 0, replies: 3", result.Stdout, StringComparison.Ordinal);
    }

    private static string FirstLine(ToolResult result) => result.Stdout.Split('\n')[0];
}
