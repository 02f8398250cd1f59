using System.Buffers;
using System.Security.Cryptography;
using Wireframe.Connections;
using Wireframe.Fragmentation;
using Wireframe.Framing;
using Wireframe.Messages;
using Wireframe.Routing;
using Wireframe.Testing;
using Wireframe.Tests.Support;
using static Wireframe.Tests.Fragmentation.FragmentKit;

namespace Wireframe.Tests.Fragmentation;

/// <summary>
/// With MaxConcurrentRequestsPerConnection above 1, streamed-body handlers never hold the slots the
/// read loop waits for, so bodies that occupy every slot's worth of handlers cannot wedge the loop:
/// their fragments keep coming, other messages keep being served, and ReassemblyTimeout and a
/// departing peer still end the connection. (Found by review: a body handler used to hold a slot
/// while waiting for fragments only the blocked read loop could deliver.)
/// </summary>
public sealed class ConcurrentBodyDeadlockTests
{
    [Fact]
    public async Task Body_handlers_holding_every_slot_do_not_wedge_the_read_loop()
    {
        await using var host = WireframeTest.CreateHost(App());
        await using var client = host.Connect();
        byte[] a = Payloads.Random(300, seed: 1);
        byte[] b = Payloads.Random(300, seed: 2);
        IReadOnlyList<byte[]> fa = client.EncodeFragments(new Envelope(Upload, 1, a), messageKey: 1);
        IReadOnlyList<byte[]> fb = client.EncodeFragments(new Envelope(Upload, 2, b), messageKey: 2);

        // Two uploads start (both slots taken by their handlers), then an ordinary request, then the rest of the uploads.
        await client.SendRawAsync(fa[0]);
        await client.SendRawAsync(fb[0]);
        await client.SendFragmentsAsync(new Envelope(Echo, 3, new byte[] { 42 }), messageKey: 3);
        for (int i = 1; i < fa.Count; i++)
        {
            await client.SendRawAsync(fa[i]);
            await client.SendRawAsync(fb[i]);
        }

        var replies = new Dictionary<ulong, byte[]>();
        for (int i = 0; i < 3; i++)
        {
            Envelope reply = await client.ReadMessageAsync().AsTask().WaitAsync(Safety);
            replies[reply.CorrelationId!.Value] = reply.Payload.ToArray();
        }

        Assert.Equal(SHA256.HashData(a), replies[1]);
        Assert.Equal(SHA256.HashData(b), replies[2]);
        Assert.Equal(new byte[] { 42 }, replies[3]);
    }

    [Fact]
    public async Task More_interleaved_bodies_than_slots_do_not_wedge_the_read_loop()
    {
        await using var host = WireframeTest.CreateHost(App());
        await using var client = host.Connect();
        byte[][] contents = [Payloads.Random(300, seed: 11), Payloads.Random(300, seed: 12), Payloads.Random(300, seed: 13)];
        var fragments = contents.Select((c, i) => client.EncodeFragments(new Envelope(Upload, (ulong)i, c), messageKey: (ulong)i + 1)).ToArray();

        // Three uploads interleaved fragment by fragment: well within MaxMessagesInReassembly (64).
        for (int f = 0; f < fragments[0].Count; f++)
        {
            foreach (IReadOnlyList<byte[]> series in fragments)
            {
                await client.SendRawAsync(series[f]);
            }
        }

        var replies = new Dictionary<ulong, byte[]>();
        for (int i = 0; i < 3; i++)
        {
            Envelope reply = await client.ReadMessageAsync().AsTask().WaitAsync(Safety);
            replies[reply.CorrelationId!.Value] = reply.Payload.ToArray();
        }

        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(SHA256.HashData(contents[i]), replies[(ulong)i]);
        }
    }

    [Fact]
    public async Task A_wedged_connection_ends_when_ReassemblyTimeout_runs_out_and_the_peer_leaves()
    {
        await using var host = WireframeTest.CreateHost(App());
        await using var client = host.Connect();
        IReadOnlyList<byte[]> fa = client.EncodeFragments(new Envelope(Upload, 1, new byte[300]), messageKey: 1);
        IReadOnlyList<byte[]> fb = client.EncodeFragments(new Envelope(Upload, 2, new byte[300]), messageKey: 2);
        await client.SendRawAsync(fa[0]);
        await client.SendRawAsync(fb[0]);
        await client.SendFragmentsAsync(new Envelope(Echo, 3, new byte[] { 42 }), messageKey: 3);

        // The two bodies never finish: ReassemblyTimeout (5 s) should break them off, and the peer then hangs up.
        for (int i = 0; i < 20 && !client.Closed.IsCompleted; i++)
        {
            host.Time.Advance(TimeSpan.FromSeconds(5));
            await Task.WhenAny(client.Closed, Task.Delay(50));
        }

        await client.CompleteAsync();
        DisconnectInfo closed = await client.Closed.WaitAsync(Safety);
        Assert.NotEqual(DisconnectReason.HandlerFailed, closed.Reason);
    }

    private static WireframeAppBuilder<Envelope> App(Action<WireframeOptions>? configure = null)
    {
        var app = WireframeApp.CreateBuilder(new LengthDelimitedOptions { MaxFrameLength = 1 << 20 })
            .UseFragmentation(100)
            .Configure(options =>
            {
                options.MaxConcurrentRequestsPerConnection = 2;
                options.ReassemblyTimeout = TimeSpan.FromSeconds(5);
                configure?.Invoke(options);
            });
        app.Route<MessageBody, byte[]>(Upload, async (body, context) =>
        {
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            await foreach (ReadOnlyMemory<byte> block in body.ReadChunksAsync(context.RequestAborted))
            {
                hash.AppendData(block.Span);
            }

            return hash.GetHashAndReset();
        });
        app.Route<ReadOnlySequence<byte>, ReadOnlySequence<byte>>(Echo, (payload, _) => payload);
        return app;
    }
}
