using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Wireframe.Connections;
using Wireframe.Hosting;
using Wireframe.Messages;
using Wireframe.Outbound;
using Wireframe.Serialization;
using Wireframe.Testing;

namespace Wireframe.Benchmarks;

/// <summary>
/// End-to-end push measurements over loopback TCP in one process (one clock for sender and
/// receiver), each against a baseline measured in the same run:
/// <list type="bullet">
/// <item>latency of one uncontended high-priority push until the client has read it, against a
/// hand-written Kestrel handler whose write loop drains a channel (the usual hand-made push path);</item>
/// <item>throughput of 4 concurrent producers against 1 producer pushing to one connection;</item>
/// <item>broadcast of one frame to 10,000 connections, against pushing a typed message to each
/// (one serialization per connection).</item>
/// </list>
/// </summary>
internal static class PushBenchmarks
{
    private const int PayloadLength = 16;
    private const int FrameLength = 4 + 5 + PayloadLength;

    public static async Task<int> RunAsync(string[] args)
    {
        int rounds = args.Length > 0 ? int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 3;
        var latencyRatios = new List<double>();
        var producerRatios = new List<double>();
        var broadcastRatios = new List<double>();

        // Round 0 warms up (JIT tiering, thread pool, socket buffers) and is not counted.
        for (int round = 0; round <= rounds; round++)
        {
            Console.WriteLine(round == 0 ? "== warm-up (not counted)" : $"== round {round}");
            (double baseP50, double baseP99) = await BaselineLatencyAsync();
            (double p50, double p99) = await PushLatencyAsync();
            Console.WriteLine($"push latency us      baseline p50 {baseP50,7:F1} p99 {baseP99,7:F1} | wireframe p50 {p50,7:F1} p99 {p99,7:F1} | p99 ratio {p99 / baseP99:F2}");

            double one = await ProducersAsync(1);
            double four = await ProducersAsync(4);
            Console.WriteLine($"push throughput f/s  1 producer {one,10:N0} | 4 producers {four,10:N0} | ratio {four / one:F2}");

            (double broadcastNs, long broadcastSerializations, double perConnectionNs, long perConnectionSerializations) = await BroadcastAsync(10_000);
            Console.WriteLine($"broadcast 10,000     one frame {broadcastNs,6:F0} ns/recipient ({broadcastSerializations} serialization) | typed push each {perConnectionNs,6:F0} ns/recipient ({perConnectionSerializations:N0} serializations) | ratio {broadcastNs / perConnectionNs:F2}");
            if (round > 0)
            {
                latencyRatios.Add(p99 / baseP99);
                producerRatios.Add(four / one);
                broadcastRatios.Add(broadcastNs / perConnectionNs);
            }
        }

        Console.WriteLine($"== median of {rounds} rounds: push p99 / baseline p99 {Median(latencyRatios):F2} | 4 producers / 1 producer {Median(producerRatios):F2} | broadcast / typed push each {Median(broadcastRatios):F2}");
        return 0;
    }

    private static double Median(List<double> values)
    {
        values.Sort();
        return values.Count == 0 ? double.NaN : values.Count % 2 == 1 ? values[values.Count / 2] : (values[(values.Count / 2) - 1] + values[values.Count / 2]) / 2;
    }

    private static async Task<(double P50, double P99)> PushLatencyAsync()
    {
        await using PushTarget target = await PushTarget.StartAsync();
        (Socket client, PushHandle<Envelope> pushes) = (target.Client, target.Pushes);
        var frame = new Envelope(1, null, new ReadOnlySequence<byte>(new byte[PayloadLength]));
        return await MeasureAsync(client, () => pushes.TryPush(frame));
    }

    private static async Task<(double P50, double P99)> BaselineLatencyAsync()
    {
        var ready = new TaskCompletionSource<ChannelWriter<byte[]>>(TaskCreationOptions.RunContinuationsAsynchronously);
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Services.AddSingleton(ready);
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, listen => listen.UseConnectionHandler<ChannelPushHandler>()));
        await using WebApplication host = builder.Build();
        await host.StartAsync();
        string address = host.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        using Socket client = await ConnectAsync(new IPEndPoint(IPAddress.Loopback, new Uri(address).Port));
        ChannelWriter<byte[]> pushes = await ready.Task;
        byte[] frame = new byte[FrameLength];
        BinaryPrimitives.WriteUInt32BigEndian(frame, FrameLength - 4);
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(4), 1);
        (double, double) result = await MeasureAsync(client, () => pushes.TryWrite(frame));
        pushes.TryComplete();
        return result;
    }

    private static async Task<(double P50, double P99)> MeasureAsync(Socket client, Func<object> push)
    {
        const int Warmup = 5_000;
        const int Samples = 20_000;
        byte[] buffer = new byte[FrameLength];
        long[] latencies = new long[Samples];
        for (int i = 0; i < Warmup + Samples; i++)
        {
            long started = Stopwatch.GetTimestamp();
            push();
            await ReceiveExactlyAsync(client, buffer);
            if (i >= Warmup)
            {
                latencies[i - Warmup] = Stopwatch.GetTimestamp() - started;
            }
        }

        Array.Sort(latencies);
        return (Microseconds(latencies[Samples / 2]), Microseconds(latencies[(int)(Samples * 0.99)]));
    }

    private static async Task<double> ProducersAsync(int producers)
    {
        const int Total = 400_000;
        await using PushTarget target = await PushTarget.StartAsync();
        (Socket client, PushHandle<Envelope> pushes) = (target.Client, target.Pushes);
        var frame = new Envelope(1, null, new ReadOnlySequence<byte>(new byte[PayloadLength]));

        long started = Stopwatch.GetTimestamp();
        Task reading = DrainAsync(client, (long)Total * FrameLength);
        Task[] producing = Enumerable.Range(0, producers).Select(_ => Task.Run(async () =>
        {
            for (int i = 0; i < Total / producers; i++)
            {
                await pushes.PushAsync(frame, PushPriority.Low);
            }
        })).ToArray();
        await Task.WhenAll(producing);
        await reading;
        return Total / Stopwatch.GetElapsedTime(started).TotalSeconds;
    }

    private static async Task<(double BroadcastNs, long BroadcastSerializations, double PerConnectionNs, long PerConnectionSerializations)> BroadcastAsync(int connections)
    {
        var serializer = new CountingSerializer();
        var registry = new SessionRegistry<Envelope>();
        var app = WireframeApp.CreateBuilder().UseSerializer(serializer).WithProtocol(new Register(registry));
        await using var host = WireframeTest.CreateHost(app);
        var clients = new List<TestConnection<Envelope>>(connections);
        for (int i = 0; i < connections; i++)
        {
            clients.Add(host.Connect());
        }

        while (registry.Count < connections)
        {
            await Task.Yield();
        }

        // Alternating passes, medians reported: one pass is only milliseconds long, so a single one
        // mostly measures whatever else the machine did meanwhile.
        const int Passes = 7;
        var line = new Line("a line of chat that everybody gets");
        IReadOnlyList<PushHandle<Envelope>> handles = registry.ActiveHandles();
        var broadcastTimes = new List<double>();
        var perConnectionTimes = new List<double>();
        long broadcastSerializations = 0;
        long perConnectionSerializations = 0;
        for (int pass = 0; pass < Passes; pass++)
        {
            serializer.Count = 0;
            long started = Stopwatch.GetTimestamp();
            BroadcastResult sent = registry.Broadcast(host.Application, 4, line);
            broadcastTimes.Add(Stopwatch.GetElapsedTime(started).TotalNanoseconds / connections);
            broadcastSerializations = serializer.Count;
            if (sent.Queued != connections)
            {
                throw new InvalidOperationException($"Broadcast reached {sent.Queued} of {connections}.");
            }

            await DrainedAsync(handles);
            serializer.Count = 0;
            started = Stopwatch.GetTimestamp();
            foreach (PushHandle<Envelope> handle in handles)
            {
                handle.TryPush(4, line, PushPriority.Low, PushFullPolicy.Drop);
            }

            perConnectionTimes.Add(Stopwatch.GetElapsedTime(started).TotalNanoseconds / connections);
            perConnectionSerializations = serializer.Count;
            await DrainedAsync(handles);
        }

        double broadcastNs = Median(broadcastTimes);
        double perConnectionNs = Median(perConnectionTimes);
        foreach (TestConnection<Envelope> client in clients)
        {
            await client.DisposeAsync();
        }

        return (broadcastNs, broadcastSerializations, perConnectionNs, perConnectionSerializations);
    }

    /// <summary>A Wireframe server over loopback TCP with one connected client and that connection's push handle.</summary>
    private sealed class PushTarget : IAsyncDisposable
    {
        private readonly WireframeServer _server;

        private PushTarget(WireframeServer server, Socket client, PushHandle<Envelope> pushes)
        {
            _server = server;
            Client = client;
            Pushes = pushes;
        }

        public Socket Client { get; }

        public PushHandle<Envelope> Pushes { get; }

        public static async Task<PushTarget> StartAsync()
        {
            var ready = new TaskCompletionSource<PushHandle<Envelope>>(TaskCreationOptions.RunContinuationsAsynchronously);
            var app = WireframeApp.CreateBuilder().WithProtocol(new CaptureHandle(ready));
            WireframeServer server = WireframeServer.Create(app)
                .ListenTcp("127.0.0.1", 0)
                .ConfigureLogging(logging => logging.SetMinimumLevel(LogLevel.Warning))
                .Build();
            await server.StartAsync();
            Socket client = await ConnectAsync((IPEndPoint)server.EndPoints[0]);
            return new PushTarget(server, client, await ready.Task);
        }

        public async ValueTask DisposeAsync()
        {
            Client.Dispose();
            await _server.DisposeAsync();
        }
    }

    /// <summary>Waits until every connection's push queue has been written out, so passes do not overlap.</summary>
    private static async Task DrainedAsync(IReadOnlyList<PushHandle<Envelope>> handles)
    {
        while (handles.Any(handle => handle.Queues is { Pending: > 0 }))
        {
            await Task.Yield();
        }
    }

    private static async Task<Socket> ConnectAsync(IPEndPoint endPoint)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(endPoint);
        return socket;
    }

    private static async Task ReceiveExactlyAsync(Socket socket, Memory<byte> buffer)
    {
        while (buffer.Length > 0)
        {
            int read = await socket.ReceiveAsync(buffer, SocketFlags.None);
            if (read == 0)
            {
                throw new InvalidOperationException("The server closed the connection.");
            }

            buffer = buffer[read..];
        }
    }

    private static async Task DrainAsync(Socket socket, long bytes)
    {
        byte[] buffer = new byte[64 * 1024];
        while (bytes > 0)
        {
            int read = await socket.ReceiveAsync(buffer, SocketFlags.None);
            if (read == 0)
            {
                throw new InvalidOperationException("The server closed the connection.");
            }

            bytes -= read;
        }
    }

    private static double Microseconds(long ticks) => ticks * 1_000_000.0 / Stopwatch.Frequency;

    private sealed class CaptureHandle(TaskCompletionSource<PushHandle<Envelope>> ready) : IWireframeProtocol<Envelope>
    {
        public ValueTask OnConnectionSetupAsync(PushHandle<Envelope> pushes, WireframeConnection<Envelope> connection)
        {
            ready.TrySetResult(pushes);
            return ValueTask.CompletedTask;
        }
    }

    private sealed class Register(SessionRegistry<Envelope> registry) : IWireframeProtocol<Envelope>
    {
        public ValueTask OnConnectionSetupAsync(PushHandle<Envelope> pushes, WireframeConnection<Envelope> connection)
        {
            registry.Register(pushes);
            return ValueTask.CompletedTask;
        }
    }

    /// <summary>A chat line, serialized by <see cref="CountingSerializer"/>.</summary>
    internal sealed record Line(string Text);

    /// <summary>Serializes <see cref="Line"/> as UTF-8 and counts how often it is asked to.</summary>
    private sealed class CountingSerializer : IMessageSerializer, IMessageFormatter<Line>
    {
        public long Count { get; set; }

        public IMessageFormatter<T>? GetFormatter<T>() => this as IMessageFormatter<T>;

        public void Serialize(Line message, IBufferWriter<byte> output)
        {
            Count++;
            System.Text.EncodingExtensions.GetBytes(System.Text.Encoding.UTF8, message.Text.AsSpan(), output);
        }

        public Line Deserialize(in ReadOnlySequence<byte> payload) => new(System.Text.Encoding.UTF8.GetString(payload.ToArray()));
    }

    /// <summary>The baseline: a hand-written handler whose write loop sends what a channel gives it, flushing when the channel is empty.</summary>
    private sealed class ChannelPushHandler(TaskCompletionSource<ChannelWriter<byte[]>> ready) : ConnectionHandler
    {
        public override async Task OnConnectedAsync(ConnectionContext connection)
        {
            var channel = Channel.CreateUnbounded<byte[]>(new UnboundedChannelOptions { SingleReader = true });
            ready.TrySetResult(channel.Writer);
            PipeWriter output = connection.Transport.Output;
            while (await channel.Reader.WaitToReadAsync())
            {
                while (channel.Reader.TryRead(out byte[]? frame))
                {
                    output.Write(frame);
                }

                await output.FlushAsync();
            }
        }
    }
}
