using Wireframe.Client;
using Wireframe.Examples.Chat;
using Wireframe.Messages;
using Wireframe.Tests.Support;
using static Wireframe.Tests.Chat.ChatWire;

namespace Wireframe.Tests.Chat;

public sealed class ChatTcpTests
{
    private static Task<TcpTestServer> StartAsync(ChatRoom room) =>
        TcpTestServer.StartAsync(ChatApp.Create(room, Timeout.InfiniteTimeSpan));

    [Fact]
    public async Task Members_receive_each_others_lines_as_pushes()
    {
        var room = new ChatRoom();
        await using var server = await StartAsync(room);
        await using WireframeClient<Envelope> alice = await ChatClients.ConnectAsync(server);
        await using WireframeClient<Envelope> bob = await ChatClients.ConnectAsync(server);

        Assert.Equal(["alice"], (await alice.JoinAsync("alice")).Members);
        Assert.Equal(["alice", "bob"], (await bob.JoinAsync("bob")).Members);

        await bob.SendAsync(ChatIds.Say, new Say("hi alice"));

        // Pushed, not a response: the client hands over only frames without a correlation id as pushes.
        ChatLine atAlice = await alice.PushedLineSaidAsync("hi alice");
        Assert.Equal("bob", atAlice.From);
        Assert.Equal(atAlice, await bob.PushedLineSaidAsync("hi alice"));
        Assert.Equal(2, room.Members.ActiveHandles().Count);
    }

    [Fact]
    public async Task History_streams_the_last_lines_then_an_end_marker_all_with_the_requests_correlation_id()
    {
        var room = new ChatRoom();
        await using var server = await StartAsync(room);
        await using var alice = await FrameSocket.ConnectAsync(server.EndPoint);
        await alice.SendAsync(Join("alice", 1));
        for (int i = 1; i <= 150; i++)
        {
            await alice.SendAsync(Say($"line {i}", (ulong)(i + 1)));

            // The room drops lines for members whose push queue is full; pace the writer so none are.
            if (i % 25 == 0)
            {
                await alice.ReadLineSaidAsync($"line {i}");
            }
        }

        await alice.SendAsync(History(100, 999));

        var streamed = new List<EnvelopeReply>();
        EnvelopeReply reply;
        while ((reply = await alice.ReadUntilAsync(r => r.CorrelationId == 999)).MessageId != ChatIds.HistoryEnd)
        {
            streamed.Add(reply);
        }

        Assert.Equal(Enumerable.Range(51, 100).Select(i => $"line {i}"), streamed.Select(r => Line(r).Text));
        Assert.All(streamed, r => Assert.Equal(ChatIds.Message, r.MessageId));
        Assert.Empty(reply.Payload);
    }

    [Fact]
    public async Task A_refused_request_gets_an_error_frame_and_the_connection_stays_usable()
    {
        await using var server = await StartAsync(new ChatRoom());
        await using var alice = await FrameSocket.ConnectAsync(server.EndPoint);
        await using var impostor = await FrameSocket.ConnectAsync(server.EndPoint);

        await alice.SendAsync(Say("anyone?", 7));
        EnvelopeReply error = await alice.ReadUntilAsync(r => r.MessageId == ChatIds.Error);
        Assert.Equal((7ul, "Join before you speak."), (error.CorrelationId!.Value, Error(error).Message));

        await alice.SendAsync(Join("alice", 8));
        Assert.Equal(8ul, (await alice.ReadUntilAsync(r => r.MessageId == ChatIds.Welcome)).CorrelationId);

        await impostor.SendAsync(Join("alice", 1));
        Assert.Equal("The name \"alice\" is taken.", Error(await impostor.ReadUntilAsync(r => r.MessageId == ChatIds.Error)).Message);
        await impostor.SendAsync(Join("mallory", 2));
        Assert.Equal(["alice", "mallory"], Welcome(await impostor.ReadUntilAsync(r => r.MessageId == ChatIds.Welcome)).Members);
    }

    [Fact]
    public async Task Leaving_tells_the_room_and_removes_the_member()
    {
        var room = new ChatRoom();
        await using var server = await StartAsync(room);
        await using WireframeClient<Envelope> alice = await ChatClients.ConnectAsync(server);
        await alice.JoinAsync("alice");

        await using (WireframeClient<Envelope> bob = await ChatClients.ConnectAsync(server))
        {
            await bob.JoinAsync("bob");
        }

        Assert.Equal("*", (await alice.PushedLineSaidAsync("bob left")).From);
        Assert.Equal(1, room.Members.Count);
        Assert.Equal("alice", room.NameOf(room.Members.ActiveHandles().Single().ConnectionId));
    }
}
