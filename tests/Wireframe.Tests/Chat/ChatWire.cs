using System.Text.Json;
using Wireframe.Examples.Chat;
using Wireframe.Tests.Support;

namespace Wireframe.Tests.Chat;

/// <summary>Client-side helpers for the Chat example's wire format (envelopes with JSON payloads).</summary>
internal static class ChatWire
{
    public static byte[] Join(string name, ulong correlationId) =>
        FrameSocket.Envelope(ChatIds.Join, JsonSerializer.SerializeToUtf8Bytes(new Join(name), ChatJsonContext.Default.Join), correlationId);

    public static byte[] Say(string text, ulong correlationId) =>
        FrameSocket.Envelope(ChatIds.Say, JsonSerializer.SerializeToUtf8Bytes(new Say(text), ChatJsonContext.Default.Say), correlationId);

    public static byte[] History(int limit, ulong correlationId) =>
        FrameSocket.Envelope(ChatIds.History, JsonSerializer.SerializeToUtf8Bytes(new History(limit), ChatJsonContext.Default.History), correlationId);

    public static ChatLine Line(EnvelopeReply reply) =>
        JsonSerializer.Deserialize(reply.Payload, ChatJsonContext.Default.ChatLine)!;

    public static Welcome Welcome(EnvelopeReply reply) =>
        JsonSerializer.Deserialize(reply.Payload, ChatJsonContext.Default.Welcome)!;

    public static ChatError Error(EnvelopeReply reply) =>
        JsonSerializer.Deserialize(reply.Payload, ChatJsonContext.Default.ChatError)!;

    /// <summary>Reads frames until one matches, skipping the room's unrelated traffic (notices, other lines).</summary>
    public static async Task<EnvelopeReply> ReadUntilAsync(this FrameSocket client, Func<EnvelopeReply, bool> match, int maxFrames = 100)
    {
        for (int i = 0; i < maxFrames; i++)
        {
            EnvelopeReply reply = await client.ReadEnvelopeAsync().WaitAsync(TimeSpan.FromSeconds(30)) ?? throw new InvalidOperationException("The server closed the connection.");
            if (match(reply))
            {
                return reply;
            }
        }

        throw new InvalidOperationException($"No matching frame within {maxFrames} frames.");
    }

    public static Task<EnvelopeReply> ReadLineSaidAsync(this FrameSocket client, string text) =>
        client.ReadUntilAsync(r => r.MessageId == ChatIds.Message && Line(r).Text == text);
}
