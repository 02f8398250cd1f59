using Wireframe.Examples.PingPong.Messages;
using System.Buffers;
using Microsoft.AspNetCore.Connections;
using Wireframe.Examples.Echo;
using Wireframe.Hosting;
using Wireframe.Messages;

namespace Wireframe.Benchmarks;

/// <summary>Starts a scenario's server on a fresh in-memory connection and checks its responses once.</summary>
internal static class DispatchScenarios
{
    public const int FramesPerBatch = 16;
    public const int PayloadSize = 128;

    /// <summary>Gets whether the scenario is meant to run without allocating in steady state.</summary>
    public static bool ShouldBeAllocationFree(Scenario scenario) => scenario != Scenario.RoutedEchoConcurrent;

    public static RoundTripHarness Start(Scenario scenario, Scheduling scheduling)
    {
        byte[] payload = Frames.Payload(PayloadSize);
        (Func<ConnectionContext, Task> serve, byte[] request, byte[] expected) = scenario switch
        {
            Scenario.HandWrittenEcho => Echo(context => HandWrittenEcho.RunAsync(context.Transport), Frames.Envelopes(FramesPerBatch, EchoApp.EchoMessageId, payload)),
            Scenario.RoutedEcho => Echo(Serve(EchoApp.CreateRouted().Build()), Frames.Envelopes(FramesPerBatch, EchoApp.EchoMessageId, payload)),
            Scenario.RoutedEchoConcurrent => Echo(Serve(EchoApp.CreateRouted().Configure(o => o.MaxConcurrentRequestsPerConnection = FramesPerBatch).Build()), Frames.Envelopes(FramesPerBatch, EchoApp.EchoMessageId, payload)),
            Scenario.RoutedEchoFragmented => Echo(Serve(EchoApp.CreateFragmented(64 * 1024).Build()), Frames.Envelopes(FramesPerBatch, EchoApp.EchoMessageId, [Fragmentation.DefaultFragmentStrategy<Envelope>.LastFlag, .. payload])),
            Scenario.RawEcho => Echo(Serve(EchoApp.CreateRaw().Build()), Frames.LengthDelimited(FramesPerBatch, payload)),
            Scenario.RawEchoRouted => Echo(Serve(EchoApp.CreateRawRouted().Build()), Frames.LengthDelimited(FramesPerBatch, payload)),
            Scenario.TypedPingPong => (Serve(PingPongApp.Create().Build()), Messages<Ping>(PingPongApp.PingId, i => new Ping((uint)i * 10)), Messages<Pong>(PingPongApp.PongId, i => new Pong(((uint)i * 10) + 1))),
            _ => throw new ArgumentOutOfRangeException(nameof(scenario)),
        };

        var harness = new RoundTripHarness(scheduling, serve, request, FramesPerBatch);
        byte[] actual = harness.Capture();
        if (!actual.AsSpan().SequenceEqual(expected))
        {
            throw new InvalidOperationException($"{scenario} ({scheduling}) answered {actual.Length} bytes that differ from the expected {expected.Length}.");
        }

        return harness;

        static (Func<ConnectionContext, Task>, byte[], byte[]) Echo(Func<ConnectionContext, Task> serve, byte[] request) => (serve, request, request);
    }

    private static Func<ConnectionContext, Task> Serve<TFrame>(Routing.WireframeApplication<TFrame> application)
    {
        var handler = new WireframeConnectionHandler<TFrame>(application);
        return context => handler.ServeAsync(context);
    }

    private static byte[] Messages<T>(uint messageId, Func<int, T> message)
        where T : Serialization.IBinaryMessage<T>
    {
        var codec = new EnvelopeCodec();
        return Frames.Repeat(codec, FramesPerBatch, i =>
        {
            var payload = new ArrayBufferWriter<byte>();
            message(i).Write(payload);
            return new Envelope(messageId, (ulong)(i + 1), new ReadOnlySequence<byte>(payload.WrittenMemory));
        });
    }
}
