using System.Buffers;
using System.Text;
using Wireframe.Connections;
using Wireframe.Examples.Resp;
using Wireframe.Testing;
using static Wireframe.Tests.Resp.RespBytes;

namespace Wireframe.Tests.Resp;

/// <summary>The server over in-memory connections, through the test kit: what a client sends, what it gets back.</summary>
public sealed class RespAppTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Ping_answers_pong_and_ping_with_a_message_echoes_it()
    {
        await using var host = WireframeTest.CreateHost(RespApp.Create());
        await using var client = host.Connect();

        Assert.Equal("PONG", await CallAsync(client, "PING"));
        Assert.Equal("\"hello\"", await CallAsync(client, "PING", "hello"));
        Assert.Equal("\"a b\"", await CallAsync(client, "ECHO", "a b"));
    }

    [Fact]
    public async Task Set_get_del_exists_and_incr_work_on_the_shared_store()
    {
        var store = new RespStore();
        await using var host = WireframeTest.CreateHost(RespApp.Create(store));
        await using var client = host.Connect();

        Assert.Equal("(nil)", await CallAsync(client, "GET", "k"));
        Assert.Equal("OK", await CallAsync(client, "SET", "k", "v1"));
        Assert.Equal("\"v1\"", await CallAsync(client, "GET", "k"));
        Assert.Equal("OK", await CallAsync(client, "SET", "k", "v2"));
        Assert.Equal("\"v2\"", await CallAsync(client, "GET", "k"));
        Assert.Equal("(integer) 1", await CallAsync(client, "INCR", "n"));
        Assert.Equal("(integer) 2", await CallAsync(client, "incr", "n"));
        Assert.Equal("(integer) 3", await CallAsync(client, "EXISTS", "k", "n", "k", "missing"));
        Assert.Equal("(integer) 2", await CallAsync(client, "DEL", "k", "n", "missing"));
        Assert.Equal("(integer) 0", await CallAsync(client, "EXISTS", "k", "n"));
        Assert.Equal(0, store.Count);

        // Another connection sees the same store.
        Assert.Equal("OK", await CallAsync(client, "SET", "shared", "yes"));
        await using var other = host.Connect();
        Assert.Equal("\"yes\"", await CallAsync(other, "GET", "shared"));
    }

    [Fact]
    public async Task Keys_and_values_are_binary_safe()
    {
        var store = new RespStore();
        await using var host = WireframeTest.CreateHost(RespApp.Create(store));
        await using var client = host.Connect();
        byte[] key = [0, 13, 10, (byte)'k', 255];
        byte[] value = [.. Enumerable.Range(0, 256).Select(i => (byte)i), .. "\r\n$-1\r\n"u8];

        await client.SendFrameAsync(RespFrame.Command(Ascii("SET"), key, value));
        Assert.Equal("OK", (await client.ReadFrameAsync()).ToString());
        await client.SendFrameAsync(RespFrame.Command(Ascii("GET"), key));
        RespFrame reply = await client.ReadFrameAsync();

        Assert.Equal(RespKind.BulkString, reply.Kind);
        Assert.Equal(value, reply.Bytes.ToArray());
        Assert.True(store.TryGet(key, out byte[]? stored));
        Assert.Equal(value, stored);
    }

    [Fact]
    public async Task Pipelined_commands_in_one_write_are_answered_in_order()
    {
        await using var host = WireframeTest.CreateHost(RespApp.Create());
        await using var client = host.Connect();
        byte[] batch = [.. Encode(RespFrame.Command("SET", "a", "1")), .. Encode(RespFrame.Command("INCR", "a")), .. "PING\r\n"u8,
            .. Encode(RespFrame.Command("GET", "a")), .. Encode(RespFrame.Command("NOPE")), .. Encode(RespFrame.Command("DEL", "a"))];
        string expected = "+OK\r\n:2\r\n+PONG\r\n$1\r\n2\r\n-ERR unknown command 'NOPE', with args beginning with: \r\n:1\r\n";

        await client.SendRawAsync(batch);

        Assert.Equal(expected, Encoding.ASCII.GetString(await client.ReadRawAsync(expected.Length).AsTask().WaitAsync(Timeout)));
    }

    [Fact]
    public async Task Commands_fed_one_byte_at_a_time_are_all_answered()
    {
        await using var host = WireframeTest.CreateHost(RespApp.Create());
        await using var client = host.Connect();
        byte[] batch = [.. Encode(RespFrame.Command("SET", "key", "va\r\nlue")), .. "GET key\r\n"u8, .. "\r\n"u8,
            .. Encode(RespFrame.Command("ECHO", "")), .. "INCR n\n"u8, .. Encode(RespFrame.Command("GET", "key"))];
        string expected = "+OK\r\n$7\r\nva\r\nlue\r\n$0\r\n\r\n:1\r\n$7\r\nva\r\nlue\r\n";

        await client.SendRawAsync(batch, chunkSize: 1);

        Assert.Equal(expected, Encoding.ASCII.GetString(await client.ReadRawAsync(expected.Length).AsTask().WaitAsync(Timeout)));
        await client.CompleteAsync();
        DisconnectInfo info = await client.WaitForCloseAsync().WaitAsync(Timeout);
        Assert.Equal(DisconnectReason.PeerClosed, info.Reason);
    }

    [Theory]
    [InlineData("PING\r\n", "+PONG\r\n")]
    [InlineData("ping\n", "+PONG\r\n")]
    [InlineData("  SET   k   v  \r\nGET k\r\n", "+OK\r\n$1\r\nv\r\n")]
    [InlineData("\r\n\n   \r\n*0\r\n*-1\r\nPING\r\n", "+PONG\r\n")]
    [InlineData("FOO bar baz\r\n", "-ERR unknown command 'FOO', with args beginning with: 'bar' 'baz' \r\n")]
    public async Task Inline_commands_as_typed_in_telnet_are_answered(string typed, string expected)
    {
        await using var host = WireframeTest.CreateHost(RespApp.Create());
        await using var client = host.Connect();

        await client.SendRawAsync(Ascii(typed));
        await client.CompleteAsync();

        Assert.Equal(expected, Encoding.ASCII.GetString(await client.ReadToEndAsync().AsTask().WaitAsync(Timeout)));
    }

    [Theory]
    [InlineData(new[] { "GET" }, "ERR wrong number of arguments for 'get' command")]
    [InlineData(new[] { "get", "a", "b" }, "ERR wrong number of arguments for 'get' command")]
    [InlineData(new[] { "SET", "k" }, "ERR wrong number of arguments for 'set' command")]
    [InlineData(new[] { "ECHO" }, "ERR wrong number of arguments for 'echo' command")]
    [InlineData(new[] { "PING", "a", "b" }, "ERR wrong number of arguments for 'ping' command")]
    [InlineData(new[] { "DEL" }, "ERR wrong number of arguments for 'del' command")]
    [InlineData(new[] { "EXISTS" }, "ERR wrong number of arguments for 'exists' command")]
    [InlineData(new[] { "INCR" }, "ERR wrong number of arguments for 'incr' command")]
    [InlineData(new[] { "CONFIG" }, "ERR wrong number of arguments for 'config' command")]
    [InlineData(new[] { "CONFIG", "GET" }, "ERR wrong number of arguments for 'config|get' command")]
    [InlineData(new[] { "FOO" }, "ERR unknown command 'FOO', with args beginning with: ")]
    [InlineData(new[] { "foo", "a", "b" }, "ERR unknown command 'foo', with args beginning with: 'a' 'b' ")]
    [InlineData(new[] { "COMMAND", "NOPE" }, "ERR unknown subcommand 'NOPE'. Try COMMAND HELP.")]
    [InlineData(new[] { "CONFIG", "SET", "a", "b" }, "ERR unknown subcommand 'SET'. Try CONFIG HELP.")]
    [InlineData(new[] { "SET", "k", "v", "NX", "XX" }, "ERR syntax error")]
    [InlineData(new[] { "SET", "k", "v", "BOGUS" }, "ERR syntax error")]
    public async Task Errors_are_worded_as_redis_words_them(string[] command, string error)
    {
        await using var host = WireframeTest.CreateHost(RespApp.Create());
        await using var client = host.Connect();

        await client.SendFrameAsync(RespFrame.Command(command));
        RespFrame reply = await client.ReadFrameAsync().AsTask().WaitAsync(Timeout);

        Assert.Equal(RespKind.Error, reply.Kind);
        Assert.Equal(error, reply.GetString());

        // The connection carries on.
        Assert.Equal("PONG", await CallAsync(client, "PING"));
    }

    [Fact]
    public async Task Unknown_command_quotes_at_most_128_bytes_of_arguments_and_stops_at_nul()
    {
        await using var host = WireframeTest.CreateHost(RespApp.Create());
        await using var client = host.Connect();
        string[] command = ["x\0y", new string('a', 100), new string('b', 100), "c"];

        await client.SendFrameAsync(RespFrame.Command(command));
        RespFrame reply = await client.ReadFrameAsync().AsTask().WaitAsync(Timeout);

        // Redis formats with "%.*s": each piece stops at a NUL, and the arguments stop after 128 bytes.
        Assert.Equal($"ERR unknown command 'x', with args beginning with: '{new string('a', 100)}' '{new string('b', 25)}' ", reply.GetString());
    }

    [Fact]
    public async Task Incr_refuses_non_integers_and_overflow_and_leaves_the_value_alone()
    {
        var store = new RespStore();
        await using var host = WireframeTest.CreateHost(RespApp.Create(store));
        await using var client = host.Connect();

        foreach (string bad in new[] { "abc", "01", "+1", " 1", "1.0", "", "-0", "99999999999999999999" })
        {
            await CallAsync(client, "SET", "k", bad);
            Assert.Equal("(error) ERR value is not an integer or out of range", await CallAsync(client, "INCR", "k"));
            Assert.True(store.TryGet("k"u8, out byte[]? kept));
            Assert.Equal(bad, Encoding.ASCII.GetString(kept));
        }

        await CallAsync(client, "SET", "k", "9223372036854775807");
        Assert.Equal("(error) ERR increment or decrement would overflow", await CallAsync(client, "INCR", "k"));
        await CallAsync(client, "SET", "k", "-9223372036854775808");
        Assert.Equal("(integer) -9223372036854775807", await CallAsync(client, "INCR", "k"));
        await CallAsync(client, "SET", "k", "-1");
        Assert.Equal("(integer) 0", await CallAsync(client, "INCR", "k"));
        Assert.Equal("\"0\"", await CallAsync(client, "GET", "k"));
    }

    [Fact]
    public async Task Set_supports_nx_xx_and_get_and_refuses_expiry()
    {
        await using var host = WireframeTest.CreateHost(RespApp.Create());
        await using var client = host.Connect();

        Assert.Equal("(nil)", await CallAsync(client, "SET", "k", "1", "XX"));
        Assert.Equal("(nil)", await CallAsync(client, "GET", "k"));
        Assert.Equal("OK", await CallAsync(client, "SET", "k", "1", "nx"));
        Assert.Equal("(nil)", await CallAsync(client, "SET", "k", "2", "NX"));
        Assert.Equal("\"1\"", await CallAsync(client, "SET", "k", "3", "XX", "GET"));
        Assert.Equal("\"3\"", await CallAsync(client, "SET", "k", "4", "get"));
        Assert.Equal("\"4\"", await CallAsync(client, "SET", "k", "5", "NX", "GET"));
        Assert.Equal("\"4\"", await CallAsync(client, "GET", "k"));
        Assert.Equal("(nil)", await CallAsync(client, "SET", "new", "x", "GET"));
        Assert.StartsWith("(error) ERR SET with EX", await CallAsync(client, "SET", "k", "6", "EX", "10"), StringComparison.Ordinal);
        Assert.Equal("\"4\"", await CallAsync(client, "GET", "k"));
    }

    [Fact]
    public async Task Startup_commands_of_redis_cli_and_redis_benchmark_are_answered()
    {
        await using var host = WireframeTest.CreateHost(RespApp.Create());
        await using var client = host.Connect();

        Assert.Equal("[]", await CallAsync(client, "COMMAND"));
        Assert.Equal("[]", await CallAsync(client, "COMMAND", "DOCS"));
        Assert.Equal("(integer) 10", await CallAsync(client, "COMMAND", "COUNT"));
        Assert.Equal("[\"save\", \"\"]", await CallAsync(client, "CONFIG", "GET", "save"));
        Assert.Equal("[\"appendonly\", \"no\"]", await CallAsync(client, "config", "get", "APPENDONLY"));
        Assert.Equal("[\"save\", \"\", \"appendonly\", \"no\"]", await CallAsync(client, "CONFIG", "GET", "*"));
        Assert.Equal("[\"save\", \"\"]", await CallAsync(client, "CONFIG", "GET", "s?ve", "sa*"));
        Assert.Equal("[]", await CallAsync(client, "CONFIG", "GET", "maxmemory"));
    }

    [Fact]
    public async Task A_reply_sent_as_a_command_gets_a_protocol_error_and_the_connection_carries_on()
    {
        await using var host = WireframeTest.CreateHost(RespApp.Create());
        await using var client = host.Connect();

        await client.SendRawAsync(Ascii(":1\r\n"));
        RespFrame reply = await client.ReadFrameAsync().AsTask().WaitAsync(Timeout);

        Assert.Equal("ERR Protocol error: expected a command (an array of bulk strings or an inline command), got a Integer", reply.GetString());
        Assert.Equal("PONG", await CallAsync(client, "PING"));
    }

    [Fact]
    public async Task Quit_answers_ok_then_closes()
    {
        await using var host = WireframeTest.CreateHost(RespApp.Create());
        await using var client = host.Connect();

        await client.SendRawAsync(Ascii("QUIT\r\nPING\r\n"));

        Assert.Equal("+OK\r\n", Encoding.ASCII.GetString(await client.ReadToEndAsync().AsTask().WaitAsync(Timeout)));
        Assert.Equal(DisconnectReason.ClosedByApplication, (await client.WaitForCloseAsync().WaitAsync(Timeout)).Reason);
    }

    [Fact]
    public async Task Malformed_input_closes_the_connection_after_answering_the_commands_before_it()
    {
        var store = new RespStore();
        await using var host = WireframeTest.CreateHost(RespApp.Create(store));
        await using var client = host.Connect();

        await client.SendRawAsync(Ascii("*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n1\r\nPING\r\n*2\r\n:1\r\n$1\r\nx\r\n*1\r\n$4\r\nPING\r\n"));

        Assert.Equal("+OK\r\n+PONG\r\n", Encoding.ASCII.GetString(await client.ReadToEndAsync().AsTask().WaitAsync(Timeout)));
        DisconnectInfo info = await client.WaitForCloseAsync().WaitAsync(Timeout);
        Assert.Equal(DisconnectReason.MalformedFrame, info.Reason);
        Assert.Contains("expected '$', got ':'", info.Detail, StringComparison.Ordinal);
        Assert.True(store.TryGet("a"u8, out _));
    }

    [Fact]
    public async Task Oversized_bulk_closes_the_connection_from_its_header_without_waiting_for_the_payload()
    {
        await using var host = WireframeTest.CreateHost(RespApp.Create(codecOptions: new RespCodecOptions { MaxBulkLength = 1024, MaxFrameLength = 4096 }));
        await using var client = host.Connect();

        // Only the header is ever sent: the 2 KiB the client announced never arrive.
        await client.SendRawAsync(Ascii("PING\r\n*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2048\r\n"));

        Assert.Equal("+PONG\r\n", Encoding.ASCII.GetString(await client.ReadToEndAsync().AsTask().WaitAsync(Timeout)));
        DisconnectInfo info = await client.WaitForCloseAsync().WaitAsync(Timeout);
        Assert.Equal(DisconnectReason.FrameTooLarge, info.Reason);
        Assert.Contains("MaxBulkLength (1024)", info.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Closing_in_the_middle_of_a_command_is_reported_as_mid_frame()
    {
        await using var host = WireframeTest.CreateHost(RespApp.Create());
        await using var client = host.Connect();

        await client.SendRawAsync(Ascii("PING\r\n*2\r\n$3\r\nGET\r\n$1\r\n"));
        await client.CompleteAsync();

        Assert.Equal("+PONG\r\n", Encoding.ASCII.GetString(await client.ReadToEndAsync().AsTask().WaitAsync(Timeout)));
        DisconnectInfo info = await client.WaitForCloseAsync().WaitAsync(Timeout);
        Assert.Equal(DisconnectReason.PeerClosedMidFrame, info.Reason);
    }

    [Fact]
    public async Task Command_larger_than_the_pipe_pause_threshold_arriving_in_pieces_is_stored_whole()
    {
        var store = new RespStore();
        await using var host = WireframeTest.CreateHost(RespApp.Create(store));

        // The in-memory pipe pauses its writer at 64 KiB, like a socket's input buffer.
        await using var client = host.Connect(new System.IO.Pipelines.PipeOptions(pauseWriterThreshold: 64 * 1024, resumeWriterThreshold: 32 * 1024, useSynchronizationContext: false));
        byte[] value = new byte[1024 * 1024];
        new Random(3).NextBytes(value);

        // Sent in socket-sized pieces, each flushed: the pipe fills to its threshold long before the command is complete.
        await client.SendRawAsync(Encode(RespFrame.Command(Ascii("SET"), Ascii("big"), value)), chunkSize: 4096).AsTask().WaitAsync(Timeout);

        Assert.Equal("OK", (await client.ReadFrameAsync().AsTask().WaitAsync(Timeout)).ToString());
        Assert.True(store.TryGet("big"u8, out byte[]? stored));
        Assert.Equal(value, stored);
    }

    private static async Task<string> CallAsync(TestConnection<RespFrame> client, params string[] command)
    {
        await client.SendFrameAsync(RespFrame.Command(command)).AsTask().WaitAsync(Timeout);
        return (await client.ReadFrameAsync().AsTask().WaitAsync(Timeout)).ToString();
    }
}
