using System.Text.Json;
using Wireframe.Connections;
using Wireframe.Messages;
using Wireframe.Outbound;
using Wireframe.Routing;
using Wireframe.Testing;
using static Wireframe.Tests.Connections.TestKit;
using static Wireframe.Tests.Outbound.PushKit;

namespace Wireframe.Tests.Outbound;

/// <summary>Pushed frames reach the client: priorities, typed pushes, many producers, responses and the before-send hook.</summary>
public sealed class PushDeliveryTests
{
    [Fact]
    public async Task High_priority_pushes_overtake_low_priority_pushes_queued_before_them()
    {
        await using var host = WireframeTest.CreateHost(CreateApp(out PushProbe probe));
        await using var client = host.Connect(PausedPipe);
        PushHandle<Envelope> pushes = (await probe.NextSessionAsync()).Pushes;

        // The first push takes the writer and stays in its flush until the client reads, so the rest queue up behind it.
        Assert.Equal(PushResult.Queued, pushes.TryPush(Push(10), PushPriority.Low));
        await client.WaitForServerBytesAsync();
        Assert.Equal(PushResult.Queued, await pushes.PushAsync(Push(11), PushPriority.Low).Within());
        Assert.Equal(PushResult.Queued, await pushes.PushAsync(Push(12), PushPriority.Low).Within());
        Assert.Equal(PushResult.Queued, await pushes.PushAsync(Push(1), PushPriority.High).Within());
        Assert.Equal(PushResult.Queued, pushes.TryPush(Push(2), PushPriority.High));

        List<Envelope> frames = await client.ReadFramesAsync(5);

        Assert.Equal([10u, 1u, 2u, 11u, 12u], frames.Select(f => f.MessageId));
        Assert.Equal(["push 10", "push 1", "push 2", "push 11", "push 12"], frames.Select(f => f.PushText()));
        Assert.All(frames, f => Assert.Null(f.CorrelationId));
    }

    [Fact]
    public async Task Typed_pushes_are_serialized_by_the_applications_serializer_and_carry_no_correlation_id()
    {
        var probe = new PushProbe();
        var app = WireframeApp.CreateBuilder()
            .UseJson(new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower })
            .WithProtocol(probe);
        await using var host = WireframeTest.CreateHost(app);
        await using var client = host.Connect();
        PushHandle<Envelope> pushes = (await probe.NextSessionAsync()).Pushes;

        Assert.Equal(PushResult.Queued, await pushes.PushAsync(42, new Notice("hello", 1)).Within());
        Assert.Equal(PushResult.Queued, pushes.TryPush(43, new Notice("again", 2), PushPriority.Low));

        Envelope first = await client.NextFrameAsync();
        Envelope second = await client.NextFrameAsync();

        // The application's JSON options (snake_case) prove the application's serializer wrote the payloads.
        Assert.Equal((42u, (ulong?)null, """{"text":"hello","seq":1}"""), (first.MessageId, first.CorrelationId, first.Text()));
        Assert.Equal((43u, (ulong?)null, """{"text":"again","seq":2}"""), (second.MessageId, second.CorrelationId, second.Text()));
    }

    [Fact]
    public async Task Pushes_from_many_threads_arrive_exactly_once_and_in_order_per_producer()
    {
        const int Producers = 8;
        const int PerProducer = 250;
        await using var host = WireframeTest.CreateHost(CreateApp(out PushProbe probe, o =>
        {
            // Small queues: the producers spend most of the test waiting for room (backpressure).
            o.HighPriorityPushCapacity = 4;
            o.LowPriorityPushCapacity = 4;
        }));
        await using var client = host.Connect();
        PushHandle<Envelope> pushes = (await probe.NextSessionAsync()).Pushes;

        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Task<PushResult[]>[] producers = Enumerable.Range(0, Producers).Select(p => Task.Run(async () =>
        {
            await start.Task;
            var results = new PushResult[PerProducer];
            PushPriority priority = p % 2 == 0 ? PushPriority.High : PushPriority.Low;
            for (int i = 0; i < PerProducer; i++)
            {
                // A fresh payload per frame: a pushed frame's memory must not change until it is written.
                results[i] = await pushes.PushAsync(Frame((uint)(100 + p), $"{i}"), priority);
            }

            return results;
        })).ToArray();
        start.SetResult();

        var received = new Dictionary<uint, List<int>>();
        for (int n = 0; n < Producers * PerProducer; n++)
        {
            Envelope frame = await client.NextFrameAsync();
            if (!received.TryGetValue(frame.MessageId, out List<int>? list))
            {
                received[frame.MessageId] = list = [];
            }

            list.Add(int.Parse(frame.Text(), System.Globalization.CultureInfo.InvariantCulture));
        }

        foreach (PushResult[] results in await Task.WhenAll(producers).Within())
        {
            Assert.All(results, r => Assert.Equal(PushResult.Queued, r));
        }

        Assert.Equal(Enumerable.Range(100, Producers).Select(i => (uint)i), received.Keys.Order());
        Assert.All(received.Values, list => Assert.Equal(Enumerable.Range(0, PerProducer), list));

        // Nothing was sent twice: the next frame is one pushed after all of them.
        Assert.Equal(PushResult.Queued, pushes.TryPush(Frame(999, "last")));
        Assert.Equal(999u, (await client.NextFrameAsync()).MessageId);
    }

    [Fact]
    public async Task A_push_queued_while_a_request_is_handled_is_written_before_that_requests_response()
    {
        var app = CreateApp(out _);
        app.Route<byte[], byte[]>(1, (request, ctx) =>
        {
            PushHandle<Envelope> pushes = ((WireframeConnection<Envelope>)ctx.Connection).Pushes;
            Assert.Equal(PushResult.Queued, pushes.TryPush(Frame(700, $"before {ctx.CorrelationId}"), PushPriority.Low));
            return request;
        });
        await using var host = WireframeTest.CreateHost(app);
        await using var client = host.Connect();

        for (ulong i = 1; i <= 10; i++)
        {
            await client.SendFrameAsync(Frame(1, $"request {i}", i));
        }

        var expected = new List<(uint, ulong?, string)>();
        var actual = new List<(uint, ulong?, string)>();
        for (ulong i = 1; i <= 10; i++)
        {
            expected.Add((700, null, $"before {i}"));
            expected.Add((1, i, $"request {i}"));
            for (int k = 0; k < 2; k++)
            {
                Envelope frame = await client.NextFrameAsync();
                actual.Add((frame.MessageId, frame.CorrelationId, frame.Text()));
            }
        }

        Assert.Equal(expected, actual);
    }

    [Fact]
    public async Task The_before_send_hook_sees_every_pushed_frame_and_its_changes_reach_the_wire()
    {
        var app = CreateApp(out PushProbe probe);
        app.Route<byte[], byte[]>(1, (request, _) => request);
        probe.BeforeSendHook = frame => frame.MessageId >= 40 ? frame with { MessageId = frame.MessageId + 1000 } : frame;
        await using var host = WireframeTest.CreateHost(app);
        await using var client = host.Connect();
        PushHandle<Envelope> pushes = (await probe.NextSessionAsync()).Pushes;

        Assert.Equal(PushResult.Queued, await pushes.PushAsync(Frame(40, "raw high")).Within());
        Assert.Equal(PushResult.Queued, pushes.TryPush(Frame(41, "raw low"), PushPriority.Low));
        Assert.Equal(PushResult.Queued, await pushes.PushAsync(42, new Notice("typed high", 1)).Within());
        Assert.Equal(PushResult.Queued, pushes.TryPush(43, new Notice("typed low", 2), PushPriority.Low, PushFullPolicy.Drop));
        await client.SendFrameAsync(Frame(1, "response", 9));

        var wire = new List<SeenFrame>();
        for (int i = 0; i < 5; i++)
        {
            Envelope frame = await client.NextFrameAsync();
            wire.Add(new SeenFrame(frame.MessageId, frame.CorrelationId, frame.Text()));
        }

        Assert.Equal([1040u, 1041u, 1042u, 1043u], wire.Where(f => f.CorrelationId is null).Select(f => f.MessageId).Order());
        Assert.Contains(new SeenFrame(1, 9, "response"), wire);

        // The hook saw exactly what went out, in the same order (and nothing else).
        Assert.Equal(wire, probe.Seen);
    }
}
