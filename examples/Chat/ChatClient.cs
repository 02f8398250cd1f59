using System.Buffers;
using System.IO.Pipelines;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Wireframe.Framing;
using Wireframe.Messages;

namespace Wireframe.Examples.Chat;

/// <summary>
/// A terminal client for the chat: lines typed are said to the room, <c>/history N</c> asks for the
/// last N lines, <c>/quit</c> leaves. Everything the server sends is printed as it arrives.
/// </summary>
internal static class ChatClient
{
    public static async Task<int> RunAsync(string host, int port, string name, TextReader input, TextWriter output, CancellationToken cancellationToken)
    {
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(host, port, cancellationToken);
        await using var stream = new NetworkStream(socket, ownsSocket: false);
        var codec = new EnvelopeCodec();
        var writer = PipeWriter.Create(stream);
        ulong nextCorrelation = 0;

        async Task SendAsync<T>(uint id, T message, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type)
        {
            byte[] payload = JsonSerializer.SerializeToUtf8Bytes(message, type);
            codec.Encode(new Envelope(id, ++nextCorrelation, new ReadOnlySequence<byte>(payload)), writer);
            await writer.FlushAsync(cancellationToken);
        }

        Task printing = PrintIncomingAsync(PipeReader.Create(stream), codec, output, cancellationToken);
        await SendAsync(ChatIds.Join, new Join(name), ChatJsonContext.Default.Join);
        while (await input.ReadLineAsync(cancellationToken) is { } line && line != "/quit")
        {
            if (line.StartsWith("/history", StringComparison.Ordinal))
            {
                int limit = int.TryParse(line.AsSpan(8).Trim(), out int n) ? n : 20;
                await SendAsync(ChatIds.History, new History(limit), ChatJsonContext.Default.History);
            }
            else if (line.Length > 0)
            {
                await SendAsync(ChatIds.Say, new Say(line), ChatJsonContext.Default.Say);
            }
        }

        socket.Shutdown(SocketShutdown.Send);
        await printing;
        return 0;
    }

    private static async Task PrintIncomingAsync(PipeReader reader, EnvelopeCodec codec, TextWriter output, CancellationToken cancellationToken)
    {
        while (true)
        {
            ReadResult result = await reader.ReadAsync(cancellationToken);
            ReadOnlySequence<byte> buffer = result.Buffer;
            while (codec.TryDecode(ref buffer, out Envelope frame).Status == DecodeStatus.Frame)
            {
                await output.WriteLineAsync(Describe(frame));
            }

            reader.AdvanceTo(buffer.Start, buffer.End);
            if (result.IsCompleted)
            {
                return;
            }
        }
    }

    private static string Describe(Envelope frame)
    {
        var reader = new Utf8JsonReader(frame.Payload);
        return frame.MessageId switch
        {
            ChatIds.Welcome when JsonSerializer.Deserialize(ref reader, ChatJsonContext.Default.Welcome) is { } welcome
                => $"-- welcome, {welcome.You}; here: {string.Join(", ", welcome.Members)}",
            ChatIds.Message when JsonSerializer.Deserialize(ref reader, ChatJsonContext.Default.ChatLine) is { } line
                => $"[{line.Sequence}] {line.From}: {line.Text}",
            ChatIds.HistoryEnd => "-- end of history",
            ChatIds.Heartbeat => "-- heartbeat",
            ChatIds.Error when JsonSerializer.Deserialize(ref reader, ChatJsonContext.Default.ChatError) is { } error
                => $"-- error: {error.Message}",
            _ => $"-- message {frame.MessageId}: {Encoding.UTF8.GetString(frame.Payload)}",
        };
    }
}
