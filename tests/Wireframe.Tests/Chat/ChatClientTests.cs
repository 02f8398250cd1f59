using Wireframe.Client;
using Wireframe.Examples.Chat;
using Wireframe.Messages;
using Wireframe.Tests.Support;
using static Wireframe.Tests.Chat.ChatClients;

namespace Wireframe.Tests.Chat;

/// <summary>The Chat example's terminal client (<c>--client NAME</c>) end to end against a real Chat server over TCP.</summary>
public sealed class ChatClientTests
{
    private static Task<TcpTestServer> StartAsync(ChatRoom room) =>
        TcpTestServer.StartAsync(ChatApp.Create(room, Timeout.InfiniteTimeSpan));

    [Fact]
    public async Task Client_mode_joins_says_reads_history_as_a_stream_and_prints_another_members_line_pushed_to_it()
    {
        var room = new ChatRoom();
        await using var server = await StartAsync(room);
        var input = new ScriptedInput();
        var output = new RecordingOutput();
        Task<int> alice = ChatClient.RunAsync("127.0.0.1", server.Port, "alice", input, output, CancellationToken.None);

        // The join is a call: its welcome is printed first, then the room's notice, which is a push.
        Assert.Equal("-- welcome, alice; here: alice", await output.NextLineAsync());
        Assert.Equal("[1] *: alice joined", await output.NextLineAsync());

        await using WireframeClient<Envelope> bob = await ConnectAsync(server);
        Assert.Equal(["alice", "bob"], (await bob.JoinAsync("bob")).Members);
        Assert.Equal("[2] *: bob joined", await output.NextLineAsync());

        // A typed line goes to the room, which pushes it to every member, its sender included.
        input.Type("hello from alice");
        Assert.Equal("[3] alice: hello from alice", await output.NextLineAsync());

        await bob.SendAsync(ChatIds.Say, new Say("hi alice"));
        Assert.Equal("[4] bob: hi alice", await output.NextLineAsync());

        // The history is a stream answering this one request, ended by the protocol's terminator.
        input.Type("/history 3");
        Assert.Equal(["[2] *: bob joined", "[3] alice: hello from alice", "[4] bob: hi alice", "-- end of history"], await output.NextLinesAsync(4));
        input.Type("/history 0");
        Assert.Equal("-- end of history", await output.NextLineAsync());

        input.Type("/quit");
        Assert.Equal(0, await alice.WaitAsync(Safety));
        Assert.Empty(output.Unread());

        Assert.Equal(new ChatLine("*", "bob joined", 2), await bob.NextPushedLineAsync());
        Assert.Equal(new ChatLine("alice", "hello from alice", 3), await bob.NextPushedLineAsync());
        Assert.Equal(new ChatLine("bob", "hi alice", 4), await bob.NextPushedLineAsync());
        Assert.Equal(new ChatLine("*", "alice left", 5), await bob.NextPushedLineAsync());
        Assert.Equal("bob", room.NameOf(room.Members.ActiveHandles().Single().ConnectionId));
    }

    [Fact]
    public async Task Client_mode_prints_the_servers_reason_and_exits_with_1_when_its_name_is_taken()
    {
        await using var server = await StartAsync(new ChatRoom());
        await using WireframeClient<Envelope> impostor = await ConnectAsync(server);
        await impostor.JoinAsync("alice");
        var input = new ScriptedInput();
        var output = new RecordingOutput();

        int exitCode = await ChatClient.RunAsync("127.0.0.1", server.Port, "alice", input, output, CancellationToken.None).WaitAsync(Safety);

        Assert.Equal(1, exitCode);
        Assert.Equal(["-- error: The name \"alice\" is taken."], output.Lines);
    }

    [Fact]
    public async Task Client_mode_prints_what_arrived_then_the_disconnect_and_exits_with_1_when_the_server_stops()
    {
        await using var server = await StartAsync(new ChatRoom());
        var input = new ScriptedInput();
        var output = new RecordingOutput();
        Task<int> alice = ChatClient.RunAsync("127.0.0.1", server.Port, "alice", input, output, CancellationToken.None);
        Assert.Equal("-- welcome, alice; here: alice", await output.NextLineAsync());
        Assert.Equal("[1] *: alice joined", await output.NextLineAsync());

        // Nobody types: the session must end because the connection did, not because the input did.
        await server.Server.StopAsync();

        Assert.Equal(1, await alice.WaitAsync(Safety));
        Assert.StartsWith("-- disconnected: ", Assert.Single(output.Unread()), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_refused_join_fails_its_call_with_the_servers_reason_and_the_connection_stays_usable()
    {
        await using var server = await StartAsync(new ChatRoom());
        await using WireframeClient<Envelope> alice = await ConnectAsync(server);

        ChatRefusedException tooLong = await Assert.ThrowsAsync<ChatRefusedException>(() => alice.JoinAsync(new string('a', ChatApp.MaxNameLength + 1)));
        Assert.Equal("A name has 1 to 32 characters and is not \"*\".", tooLong.Message);

        Assert.Equal(["alice"], (await alice.JoinAsync("alice")).Members);
        ChatRefusedException twice = await Assert.ThrowsAsync<ChatRefusedException>(() => alice.JoinAsync("alice2"));
        Assert.Equal("You have already joined.", twice.Message);
        Assert.Equal(0, alice.UnmatchedResponses);
    }
}
