using System.Collections.Concurrent;
using Microsoft.AspNetCore.Connections;
using Wireframe.Connections;
using Wireframe.Messages;
using Wireframe.Routing;
using Wireframe.Testing;
using static Wireframe.Tests.Connections.TestKit;

namespace Wireframe.Tests.Connections;

public sealed class TeardownTests
{
    public enum Ending
    {
        Eof,
        HandlerFailure,
        PreambleFailure,
        PeerAbort,
        ConnectedHookThrows,
        ApplicationClose,
    }

    [Theory]
    [InlineData(Ending.Eof, DisconnectReason.PeerClosed)]
    [InlineData(Ending.HandlerFailure, DisconnectReason.HandlerFailed)]
    [InlineData(Ending.PreambleFailure, DisconnectReason.PreambleInvalid)]
    [InlineData(Ending.PeerAbort, DisconnectReason.TransportError)]
    [InlineData(Ending.ConnectedHookThrows, DisconnectReason.HookFailed)]
    [InlineData(Ending.ApplicationClose, DisconnectReason.ClosedByApplication)]
    public async Task The_disconnect_hook_runs_exactly_once_with_the_reason_whatever_ended_the_connection(Ending ending, DisconnectReason expected)
    {
        var calls = new ConcurrentQueue<(ConnectionId Id, DisconnectInfo Info)>();
        var app = WireframeApp.CreateBuilder().OnDisconnected((conn, info) =>
        {
            calls.Enqueue((conn.Id, info));
            return ValueTask.CompletedTask;
        });
        app.Route<byte[], byte[]>(1, (request, _) => request);
        app.Route<byte[], byte[]>(2, (_, _) => Throw(new InvalidOperationException("bug")));
        app.Route<byte[], byte[]>(3, (request, ctx) =>
        {
            ctx.Connection.Close();
            return request;
        });
        if (ending == Ending.PreambleFailure)
        {
            app.UsePreamble(new LinePreambleReader());
        }

        if (ending == Ending.ConnectedHookThrows)
        {
            app.OnConnected(_ => throw new InvalidOperationException("connected hook bug"));
        }

        await using var host = WireframeTest.CreateHost(app);
        await using var client = host.Connect();

        switch (ending)
        {
            case Ending.Eof:
                await client.SendFrameAsync(Frame(1, "x"));
                await client.CompleteAsync();
                Assert.Equal("x", (await client.NextFrameAsync()).Text());
                break;
            case Ending.HandlerFailure:
                await client.SendFrameAsync(Frame(2, "x"));
                break;
            case Ending.PreambleFailure:
                await client.SendRawAsync("GET / HTTP/1.1\r\n"u8.ToArray());
                break;
            case Ending.PeerAbort:
                await client.SendFrameAsync(Frame(1, "x"));
                await client.NextFrameAsync();
                await client.Context.Application.Output.CompleteAsync(new ConnectionResetException("reset by peer"));
                break;
            case Ending.ApplicationClose:
                await client.SendRawAsync((byte[])[.. EnvelopeBytes(3, "bye", 1), .. EnvelopeBytes(1, "ignored", 2)]);
                Assert.Equal((ulong?)1, (await client.NextFrameAsync()).CorrelationId);
                break;
        }

        DisconnectInfo info = await client.ClosedAsync();
        Assert.Equal(expected, info.Reason);
        (ConnectionId id, DisconnectInfo seen) = Assert.Single(calls);
        Assert.Same(info, seen);
        Assert.Empty(await client.ReadToEndAsync().Within());
    }

    [Fact]
    public async Task A_throwing_disconnect_hook_does_not_stop_the_connection_from_ending()
    {
        var app = WireframeApp.CreateBuilder().OnDisconnected((_, _) => throw new InvalidOperationException("teardown bug"));
        await using var host = WireframeTest.CreateHost(app);
        await using var client = host.Connect();

        await client.CompleteAsync();

        Assert.Equal(DisconnectReason.PeerClosed, (await client.ClosedAsync()).Reason);
        Assert.Equal(0, host.Handler.ActiveConnections);
    }

    [Fact]
    public async Task Each_connection_gets_its_own_single_teardown()
    {
        var calls = new ConcurrentQueue<ConnectionId>();
        var app = WireframeApp.CreateBuilder().OnDisconnected((conn, _) =>
        {
            calls.Enqueue(conn.Id);
            return ValueTask.CompletedTask;
        });
        await using var host = WireframeTest.CreateHost(app);
        var clients = Enumerable.Range(0, 5).Select(_ => host.Connect()).ToArray();

        foreach (var client in clients)
        {
            await client.CompleteAsync();
            await client.ClosedAsync();
        }

        Assert.Equal(5, calls.Distinct().Count());
        Assert.Equal(5, calls.Count);
        foreach (var client in clients)
        {
            await client.DisposeAsync();
        }
    }

    private static byte[] Throw(Exception exception) => throw exception;
}
