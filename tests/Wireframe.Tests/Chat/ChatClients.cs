using Wireframe.Client;
using Wireframe.Examples.Chat;
using Wireframe.Messages;
using Wireframe.Tests.Support;

namespace Wireframe.Tests.Chat;

/// <summary>Chat members for tests, on the framework's client configured as the example's own (<see cref="ChatClient.CreateBuilder"/>).</summary>
internal static class ChatClients
{
    public static readonly TimeSpan Safety = TimeSpan.FromSeconds(30);

    public static async Task<WireframeClient<Envelope>> ConnectAsync(TcpTestServer server) =>
        await ChatClient.CreateBuilder().ConnectAsync("127.0.0.1", server.Port).AsTask().WaitAsync(Safety);

    public static async Task<Welcome> JoinAsync(this WireframeClient<Envelope> member, string name) =>
        await member.CallAsync<Join, Welcome>(ChatIds.Join, new Join(name)).AsTask().WaitAsync(Safety);

    /// <summary>Reads the next push, which must be a line of chat.</summary>
    public static async Task<ChatLine> NextPushedLineAsync(this WireframeClient<Envelope> member)
    {
        Envelope push = await member.Pushes.ReadAsync().AsTask().WaitAsync(Safety);
        Assert.Equal(ChatIds.Message, push.MessageId);
        return member.Read<ChatLine>(push);
    }

    /// <summary>Reads pushes until the line with this text, skipping the room's other traffic (notices, other lines).</summary>
    public static async Task<ChatLine> PushedLineSaidAsync(this WireframeClient<Envelope> member, string text, int maxFrames = 100)
    {
        for (int i = 0; i < maxFrames; i++)
        {
            Envelope push = await member.Pushes.ReadAsync().AsTask().WaitAsync(Safety);
            if (push.MessageId == ChatIds.Message && member.Read<ChatLine>(push) is { } line && line.Text == text)
            {
                return line;
            }
        }

        throw new InvalidOperationException($"No line \"{text}\" within {maxFrames} pushes.");
    }
}
