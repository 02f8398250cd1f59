using Wireframe.Connections;
using Wireframe.Messages;
using Wireframe.Routing;

namespace Wireframe.Examples.Chat;

/// <summary>The chat server's application, shared by its program and tests.</summary>
public static class ChatApp
{
    /// <summary>The longest name accepted.</summary>
    public const int MaxNameLength = 32;

    /// <summary>Describes the chat application.</summary>
    /// <param name="room">The room every connection joins.</param>
    /// <param name="heartbeatPeriod">How often connections get a heartbeat push; <see cref="Timeout.InfiniteTimeSpan"/> for never.</param>
    /// <returns>The application description.</returns>
    public static WireframeAppBuilder<Envelope> Create(ChatRoom room, TimeSpan heartbeatPeriod)
    {
        ArgumentNullException.ThrowIfNull(room);
        var app = WireframeApp.CreateBuilder()
            .UseJson(ChatJsonContext.Default)
            .WithProtocol(new ChatProtocol(heartbeatPeriod))
            .MapMessageId<Welcome>(ChatIds.Welcome)
            .MapMessageId<ChatLine>(ChatIds.Message)
            .OnDisconnected((connection, _) =>
            {
                room.Leave(connection.Id);
                return ValueTask.CompletedTask;
            });

        app.Route<Join, Welcome>(ChatIds.Join, (join, context) =>
        {
            string name = join.Name?.Trim() ?? "";
            if (name.Length is 0 or > MaxNameLength || name == "*")
            {
                throw new WireframeProtocolException($"A name has 1 to {MaxNameLength} characters and is not \"*\".");
            }

            var connection = (WireframeConnection<Envelope>)context.Connection;
            IReadOnlyList<string> members = room.Join(connection, name)
                ?? throw new WireframeProtocolException(room.NameOf(connection.Id) is null ? $"The name \"{name}\" is taken." : "You have already joined.");
            return new Welcome(name, members);
        });

        app.Route<Say>(ChatIds.Say, (say, context) =>
        {
            string from = room.NameOf(context.Connection.Id) ?? throw new WireframeProtocolException("Join before you speak.");
            room.Say(from, say.Text ?? "");
            return ValueTask.CompletedTask;
        });

        app.RouteStream<History, ChatLine>(ChatIds.History, (history, context) =>
            room.ReadHistoryAsync(Math.Clamp(history.Limit, 0, ChatRoom.HistoryCapacity), context.RequestAborted));
        return app;
    }
}
