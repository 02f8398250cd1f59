using System.Buffers;
using System.Text;
using Wireframe.Client;
using Wireframe.Messages;
using Wireframe.Serialization;

namespace Wireframe.Examples.Chat;

/// <summary>
/// A terminal client for the chat, on <see cref="WireframeClient{TFrame}"/>: joining is a call made
/// as the connection's setup, lines typed are sent to the room, <c>/history N</c> is a streamed call
/// read as an <see cref="IAsyncEnumerable{T}"/>, and what the room says arrives as pushes, printed as
/// they come. <c>/quit</c> (or the end of the input) leaves.
/// </summary>
public static class ChatClient
{
    private static readonly IMessageFormatter<ChatError> ErrorFormatter = new JsonMessageSerializer(ChatJsonContext.Default).GetFormatter<ChatError>()!;

    /// <summary>
    /// Describes a client that speaks the chat's protocol: JSON payloads, the <see cref="ChatIds.HistoryEnd"/>
    /// frame that ends a history stream, and the <see cref="ChatIds.Error"/> frames of <see cref="ChatProtocol"/>,
    /// which fail the call they answer with a <see cref="ChatRefusedException"/>.
    /// </summary>
    /// <returns>The builder; add hooks or options, then connect.</returns>
    public static WireframeClientBuilder<Envelope> CreateBuilder() =>
        WireframeClient.CreateBuilder()
            .UseJson(ChatJsonContext.Default)
            .UseStreamTerminator(frame => frame.MessageId == ChatIds.HistoryEnd)
            .UseErrorFrames(frame => frame.MessageId == ChatIds.Error ? new ChatRefusedException(ReadError(frame.Payload)) : null);

    /// <summary>
    /// Joins the room as <paramref name="name"/>, then says every line read from <paramref name="input"/>
    /// until <c>/quit</c> or its end; <c>/history N</c> prints the last N lines (20 by default).
    /// Everything the room says is written to <paramref name="output"/> as it arrives.
    /// </summary>
    /// <param name="host">The server's host.</param>
    /// <param name="port">The server's port.</param>
    /// <param name="name">The name to join under.</param>
    /// <param name="input">The lines typed.</param>
    /// <param name="output">Where the session is printed (written from two tasks, through a synchronized wrapper).</param>
    /// <param name="cancellationToken">Leaves the room, as <c>/quit</c> does.</param>
    /// <returns>0 after leaving; 1 when the name was refused or the connection was lost.</returns>
    public static async Task<int> RunAsync(string host, int port, string name, TextReader input, TextWriter output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(output);

        // Pushes are printed by their own task while this one reads the input and prints history.
        TextWriter console = TextWriter.Synchronized(output);
        using var ended = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Exception? lostReason = null;
        Welcome? welcome = null;
        WireframeClient<Envelope> client;
        try
        {
            client = await CreateBuilder()
                // Joining is the connection's setup: ConnectAsync returns a member of the room or fails with the reason.
                .OnConnected(async (connected, token) => welcome = await connected.CallAsync<Join, Welcome>(ChatIds.Join, new Join(name), token))
                .OnDisconnected(reason =>
                {
                    // Also stops waiting for input, so a server that goes away ends the session at once.
                    lostReason = reason;
                    ended.Cancel();
                })
                .ConnectAsync(host, port, cancellationToken);
        }
        catch (ChatRefusedException refused)
        {
            await console.WriteLineAsync($"-- error: {refused.Message}");
            return 1;
        }

        // The welcome is printed before any push: pushes wait in the client's buffer until the printer starts.
        await console.WriteLineAsync($"-- welcome, {welcome!.You}; here: {string.Join(", ", welcome.Members)}");
        Task printing = PrintPushesAsync(client, console);
        Exception? lost = null;
        try
        {
            while (await input.ReadLineAsync(ended.Token) is { } line && line != "/quit")
            {
                if (line.StartsWith("/history", StringComparison.Ordinal))
                {
                    int limit = int.TryParse(line.AsSpan(8).Trim(), out int n) ? n : 20;
                    await PrintHistoryAsync(client, limit, console, ended.Token);
                }
                else if (line.Length > 0)
                {
                    // Say has no answer: the room pushes the line to every member, this one included.
                    await client.SendAsync(ChatIds.Say, new Say(line), cancellationToken: ended.Token);
                }
            }
        }
        catch (Exception ex) when (ex is WireframeConnectionLostException || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            lost = ex;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Ctrl+C leaves the room the way /quit does.
        }
        finally
        {
            await client.DisposeAsync();
        }

        // The push buffer completes when the connection ends: whatever arrived before is printed first.
        await printing;
        if (lost is not null)
        {
            await console.WriteLineAsync($"-- disconnected: {(lostReason ?? lost).Message}");
            return 1;
        }

        return 0;
    }

    private static async Task PrintHistoryAsync(WireframeClient<Envelope> client, int limit, TextWriter console, CancellationToken cancellationToken)
    {
        try
        {
            await foreach (ChatLine line in client.StreamAsync<History, ChatLine>(ChatIds.History, new History(limit), cancellationToken))
            {
                await console.WriteLineAsync(Describe(line));
            }

            await console.WriteLineAsync("-- end of history");
        }
        catch (ChatRefusedException refused)
        {
            await console.WriteLineAsync($"-- error: {refused.Message}");
        }
    }

    private static async Task PrintPushesAsync(WireframeClient<Envelope> client, TextWriter console)
    {
        // Ends when the connection does: the client completes its push buffer then.
        await foreach (Envelope push in client.Pushes.ReadAllAsync())
        {
            await console.WriteLineAsync(Describe(client, push));
        }
    }

    private static string Describe(ChatLine line) => $"[{line.Sequence}] {line.From}: {line.Text}";

    private static string Describe(WireframeClient<Envelope> client, Envelope push)
    {
        try
        {
            return push.MessageId switch
            {
                ChatIds.Message => Describe(client.Read<ChatLine>(push)),
                ChatIds.Heartbeat => "-- heartbeat",

                // A refused request sent without a correlation id (a Say) is answered by an error push.
                ChatIds.Error => $"-- error: {ReadError(push.Payload)}",
                _ => Unknown(push),
            };
        }
        catch (MessageFormatException)
        {
            // A session should outlive one frame it cannot read.
            return Unknown(push);
        }

        static string Unknown(Envelope push) => $"-- message {push.MessageId}: {Encoding.UTF8.GetString(push.Payload)}";
    }

    private static string ReadError(ReadOnlySequence<byte> payload)
    {
        try
        {
            return ErrorFormatter.Deserialize(payload).Message;
        }
        catch (MessageFormatException)
        {
            // Thrown from the client's error-frame reader, this would end the connection; an unreadable reason still refuses the request.
            return $"(unreadable reason: {Encoding.UTF8.GetString(payload)})";
        }
    }
}
