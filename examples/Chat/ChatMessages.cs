using System.Text.Json.Serialization;

namespace Wireframe.Examples.Chat;

/// <summary>The chat's message ids on the default envelope wire format; payloads are JSON.</summary>
public static class ChatIds
{
    /// <summary>Client → server: <see cref="Join"/>; answered with <see cref="Welcome"/>.</summary>
    public const uint Join = 1;

    /// <summary>Server → client: <see cref="Chat.Welcome"/>.</summary>
    public const uint Welcome = 2;

    /// <summary>Client → server: <see cref="Chat.Say"/>; no answer, the room gets a <see cref="Message"/>.</summary>
    public const uint Say = 3;

    /// <summary>Server → client: a <see cref="ChatLine"/>, pushed to everyone in the room or streamed as history.</summary>
    public const uint Message = 4;

    /// <summary>Client → server: <see cref="Chat.History"/>; answered with a stream of <see cref="Message"/> frames and one <see cref="HistoryEnd"/>.</summary>
    public const uint History = 5;

    /// <summary>Server → client: the terminator of a history stream (empty payload, the request's correlation id).</summary>
    public const uint HistoryEnd = 6;

    /// <summary>Server → client: a <see cref="Chat.Heartbeat"/>, pushed at high priority every heartbeat period.</summary>
    public const uint Heartbeat = 7;

    /// <summary>Server → client: a <see cref="ChatError"/> for a request that broke the chat's rules.</summary>
    public const uint Error = 8;
}

/// <summary>Joins the room under a name.</summary>
/// <param name="Name">1 to 32 characters.</param>
public sealed record Join(string Name);

/// <summary>The answer to <see cref="Join"/>.</summary>
/// <param name="You">The name you joined under.</param>
/// <param name="Members">Everyone in the room, you included.</param>
public sealed record Welcome(string You, IReadOnlyList<string> Members);

/// <summary>Says something to the room.</summary>
/// <param name="Text">The line.</param>
public sealed record Say(string Text);

/// <summary>One line of chat.</summary>
/// <param name="From">Who said it ("*" for the room's own notices).</param>
/// <param name="Text">What they said.</param>
/// <param name="Sequence">The room's running line number.</param>
public sealed record ChatLine(string From, string Text, long Sequence);

/// <summary>Asks for the last lines of the room.</summary>
/// <param name="Limit">At most this many lines, oldest first.</param>
public sealed record History(int Limit);

/// <summary>A keep-alive from the server.</summary>
/// <param name="Sequence">Counts heartbeats on this connection, from 1.</param>
public sealed record Heartbeat(long Sequence);

/// <summary>Why a request was refused.</summary>
/// <param name="Message">A human-readable reason.</param>
public sealed record ChatError(string Message);

/// <summary>Source-generated JSON for every chat message: no reflection at run time.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(Join))]
[JsonSerializable(typeof(Welcome))]
[JsonSerializable(typeof(Say))]
[JsonSerializable(typeof(ChatLine))]
[JsonSerializable(typeof(History))]
[JsonSerializable(typeof(Heartbeat))]
[JsonSerializable(typeof(ChatError))]
public sealed partial class ChatJsonContext : JsonSerializerContext;
