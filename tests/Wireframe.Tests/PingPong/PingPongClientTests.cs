using System.Collections.Concurrent;
using Wireframe.Client;
using Wireframe.Connections;
using Wireframe.Examples.PingPong;
using Wireframe.Examples.PingPong.Messages;
using Wireframe.Messages;
using Wireframe.Tests.Support;
using static Wireframe.Tests.PingPong.PingPongWire;

namespace Wireframe.Tests.PingPong;

/// <summary>The PingPong example's client mode (<c>--client</c>) and client configuration against a real PingPong server over TCP.</summary>
public sealed class PingPongClientTests
{
    private const string OverflowText = "Ping value 4294967295 is the largest u32; its pong would overflow.";

    [Fact]
    public async Task Client_mode_has_every_ping_in_flight_at_once_on_one_connection_prints_each_pong_then_the_overflow_error()
    {
        const int Count = 20;
        var everyPingArrived = new CountdownSignal(Count);
        var connections = new ConcurrentDictionary<ConnectionId, bool>();
        var app = PingPongApp.Create().Configure(options => options.MaxConcurrentRequestsPerConnection = Count + 1);
        app.Use(async (context, next) =>
        {
            connections.TryAdd(context.Connection.Id, true);
            if (Deserialize<Ping>(context.Payload).Value != uint.MaxValue)
            {
                // No pong leaves before every ping has arrived: a client that awaited each pong before
                // sending the next ping would get none (the wait times out and fails the request).
                everyPingArrived.Signal();
                await everyPingArrived.Task.WaitAsync(SafetyTimeout);
            }

            await next(context);
        });
        await using var server = await TcpTestServer.StartAsync(app);
        var output = new RecordingOutput();

        int exitCode = await PingPongClient.RunAsync("127.0.0.1", server.Port, Count, output, CancellationToken.None).WaitAsync(SafetyTimeout);

        Assert.Equal(
            [
                $"-- connected to 127.0.0.1:{server.Port}; {Count} pings in flight on one connection",
                .. Enumerable.Range(1, Count).Select(i => $"ping {i} -> pong {i + 1}"),
                $"ping 4294967295 -> PingPongErrorException: The server answered with error 1 (value overflow): {OverflowText}",
            ],
            output.Lines);
        Assert.Equal(0, exitCode);
        Assert.Single(connections);
    }

    [Fact]
    public async Task An_error_frame_fails_only_the_call_it_answers_with_its_code_and_text_and_the_connection_goes_on()
    {
        await using var server = await TcpTestServer.StartAsync(PingPongApp.Create());
        await using WireframeClient<Envelope> client = await PingPongClient.CreateBuilder().ConnectAsync("127.0.0.1", server.Port);

        Task<Pong> before = client.CallAsync<Ping, Pong>(PingPongApp.PingMessageId, new Ping(1)).AsTask();
        Task<Pong> overflow = client.CallAsync<Ping, Pong>(PingPongApp.PingMessageId, new Ping(uint.MaxValue)).AsTask();
        Task<Pong> malformed = client.CallAsync<byte[], Pong>(PingPongApp.PingMessageId, [1, 2]).AsTask();
        Task<Pong> after = client.CallAsync<Ping, Pong>(PingPongApp.PingMessageId, new Ping(41)).AsTask();

        PingPongErrorException overflowError = await Assert.ThrowsAsync<PingPongErrorException>(() => overflow.WaitAsync(SafetyTimeout));
        Assert.Equal((PingPongErrorCodes.ValueOverflow, OverflowText), (overflowError.Code, overflowError.Text));
        PingPongErrorException malformedError = await Assert.ThrowsAsync<PingPongErrorException>(() => malformed.WaitAsync(SafetyTimeout));
        Assert.Equal(PingPongErrorCodes.MalformedPayload, malformedError.Code);
        Assert.Contains("Ping", malformedError.Text, StringComparison.Ordinal);
        Assert.Equal(new Pong(2), await before.WaitAsync(SafetyTimeout));
        Assert.Equal(new Pong(42), await after.WaitAsync(SafetyTimeout));
        Assert.Equal(0, client.UnmatchedResponses);
        Assert.False(client.Completion.IsCompleted);
    }
}
