using Wireframe.Client;
using Wireframe.Examples.PingPong.Messages;
using Wireframe.Messages;

namespace Wireframe.Examples.PingPong;

/// <summary>
/// The PingPong client mode, on <see cref="WireframeClient{TFrame}"/>: many pings in flight at once on
/// one connection, each pong matched to its own call by correlation id, then a ping the server cannot
/// answer, whose error frame fails that call (and only that one) with a <see cref="PingPongErrorException"/>.
/// </summary>
public static class PingPongClient
{
    /// <summary>How many pings <c>--client</c> sends when <c>--count</c> is not given.</summary>
    public const int DefaultCount = 10;

    /// <summary>
    /// Describes a client for the PingPong server: binary messages (the built-in <see cref="Wireframe.Serialization.IBinaryMessage{T}"/>
    /// serializer), and its <see cref="PingPongApp.ErrorMessageId"/> frames read as <see cref="PingPongErrorException"/>.
    /// </summary>
    /// <returns>The builder; add hooks or options, then connect.</returns>
    public static WireframeClientBuilder<Envelope> CreateBuilder() =>
        WireframeClient.CreateBuilder()
            .UseErrorFrames(frame => frame.MessageId == PingPongApp.ErrorMessageId ? PingPongErrorException.Read(frame.Payload) : null);

    /// <summary>
    /// Calls <paramref name="count"/> pings (values 1 to <paramref name="count"/>) at once and prints each
    /// pong, then pings <see cref="uint.MaxValue"/> and prints the error it gets.
    /// </summary>
    /// <param name="host">The server's host.</param>
    /// <param name="port">The server's port.</param>
    /// <param name="count">How many pings are in flight together.</param>
    /// <param name="output">Where the results are printed.</param>
    /// <param name="cancellationToken">Cancels the calls.</param>
    /// <returns>0 when every ping got its pong and the overflow its error; 1 otherwise.</returns>
    public static async Task<int> RunAsync(string host, int port, int count, TextWriter output, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        ArgumentNullException.ThrowIfNull(output);
        await using WireframeClient<Envelope> client = await CreateBuilder().ConnectAsync(host, port, cancellationToken);
        await output.WriteLineAsync($"-- connected to {host}:{port}; {count} pings in flight on one connection");

        // Every call starts before any is awaited: the requests share one connection (and a few
        // socket writes), and each pong finds its caller by correlation id, in whatever order it comes.
        var calls = new Task<Pong>[count];
        for (int i = 0; i < count; i++)
        {
            calls[i] = client.CallAsync<Ping, Pong>(PingPongApp.PingMessageId, new Ping((uint)i + 1), cancellationToken).AsTask();
        }

        Pong[] pongs = await Task.WhenAll(calls);
        int exitCode = 0;
        for (int i = 0; i < count; i++)
        {
            uint ping = (uint)i + 1;
            await output.WriteLineAsync($"ping {ping} -> pong {pongs[i].Value}");
            exitCode |= pongs[i].Value == ping + 1 ? 0 : 1;
        }

        try
        {
            Pong pong = await client.CallAsync<Ping, Pong>(PingPongApp.PingMessageId, new Ping(uint.MaxValue), cancellationToken);
            await output.WriteLineAsync($"ping {uint.MaxValue} -> pong {pong.Value}, but the server should have refused it");
            return 1;
        }
        catch (PingPongErrorException error)
        {
            await output.WriteLineAsync($"ping {uint.MaxValue} -> {nameof(PingPongErrorException)}: {error.Message}");
        }

        return exitCode;
    }
}
