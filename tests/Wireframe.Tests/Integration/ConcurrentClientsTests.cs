using System.Buffers.Binary;
using Wireframe.Examples.Echo;
using Wireframe.Tests.Support;

namespace Wireframe.Tests.Integration;

/// <summary>Many simultaneous connections over real TCP: nobody gets anybody else's bytes.</summary>
public sealed class ConcurrentClientsTests
{
    private const int Clients = 1_000;
    private const int RoundTrips = 3;
    private static readonly TimeSpan SafetyTimeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task A_thousand_concurrent_clients_each_get_their_own_data_back()
    {
        int connected = 0;
        var allConnected = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var app = EchoApp.CreateRouted();
        app.OnConnected(_ =>
        {
            if (Interlocked.Increment(ref connected) == Clients)
            {
                allConnected.TrySetResult();
            }

            return default;
        });
        await using var server = await TcpTestServer.StartAsync(app);
        var clients = new List<FrameSocket>(Clients);
        try
        {
            // Every socket is open before any of them talks, so the round trips below really overlap.
            for (int i = 0; i < Clients; i += 100)
            {
                clients.AddRange(await Task.WhenAll(Enumerable.Range(0, 100).Select(_ => FrameSocket.ConnectAsync(server.EndPoint))).WaitAsync(SafetyTimeout));
            }

            await allConnected.Task.WaitAsync(SafetyTimeout);
            int[] completed = await Task.WhenAll(clients.Select(RunClientAsync)).WaitAsync(SafetyTimeout);

            Assert.All(completed, count => Assert.Equal(RoundTrips, count));
            Assert.Equal(Clients, Volatile.Read(ref connected));
        }
        finally
        {
            foreach (FrameSocket client in clients)
            {
                await client.DisposeAsync();
            }
        }
    }

    private static async Task<int> RunClientAsync(FrameSocket client, int index)
    {
        int completed = 0;
        for (int round = 0; round < RoundTrips; round++)
        {
            // The payload names its owner and round, and its size varies, so a crossed or shifted stream cannot pass.
            byte[] payload = Payloads.Random(16 + ((index * 7) + round) % 200, seed: (index * RoundTrips) + round);
            BinaryPrimitives.WriteInt32BigEndian(payload, index);
            BinaryPrimitives.WriteInt32BigEndian(payload.AsSpan(4), round);
            ulong correlationId = ((ulong)index << 32) | (uint)round;

            await client.SendAsync(FrameSocket.Envelope(EchoApp.EchoMessageId, payload, correlationId));
            EnvelopeReply? reply = await client.ReadEnvelopeAsync();

            Assert.NotNull(reply);
            Assert.Equal(correlationId, reply.CorrelationId);
            Assert.Equal(payload, reply.Payload);
            completed++;
        }

        return completed;
    }
}
