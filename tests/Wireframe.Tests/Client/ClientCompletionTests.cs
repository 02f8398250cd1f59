using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Wireframe.Client;
using Wireframe.Examples.Echo;
using Wireframe.Messages;
using Wireframe.Tests.Support;

namespace Wireframe.Tests.Client;

/// <summary>
/// By default, callers resume on the thread pool, off the receive loop: a caller that blocks after
/// its await holds up neither the loop nor the other callers whose responses came in the same read.
/// (A change that resumed a read's callers together, which was measured and not kept, has to keep this.)
/// </summary>
public sealed class ClientCompletionTests
{
    private const uint Echo = 2;
    private const int Callers = 8;
    private static readonly TimeSpan Safety = TimeSpan.FromSeconds(60);

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    public async Task A_caller_that_blocks_after_its_response_does_not_hold_up_the_callers_answered_in_the_same_read(int blocker)
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        Task serving = Task.Run(async () =>
        {
            using Socket accepted = await listener.AcceptAsync();
            var requests = new List<(ulong CorrelationId, byte Caller)>();
            for (int i = 0; i < Callers; i++)
            {
                byte[] request = await SocketFrames.ReadFrameAsync(accepted);
                requests.Add((BinaryPrimitives.ReadUInt64BigEndian(request.AsSpan(5)), request[13]));
            }

            // Every answer in one write, in caller order, so one read brings them all.
            byte[] answers = [.. requests.OrderBy(r => r.Caller).SelectMany(r => FrameSocket.Envelope(Echo, [r.Caller], r.CorrelationId))];
            await accepted.SendAsync(answers);
            byte[] sink = new byte[1024];
            while (await accepted.ReceiveAsync(sink) > 0)
            {
            }
        });

        await using WireframeClient<Envelope> client = await WireframeClient.CreateBuilder()
            .ConnectAsync("127.0.0.1", ((IPEndPoint)listener.LocalEndPoint!).Port);
        using var othersResumed = new CountdownEvent(Callers - 1);
        Task<bool>[] callers = Enumerable.Range(0, Callers).Select(caller => Task.Run(async () =>
        {
            byte[] answer = await client.CallAsync<byte[], byte[]>(Echo, [(byte)caller]).ConfigureAwait(false);
            Assert.Equal(new[] { (byte)caller }, answer);
            if (caller == blocker)
            {
                // Blocks the thread it resumed on until every other caller has resumed.
                return othersResumed.Wait(Safety);
            }

            othersResumed.Signal();
            return true;
        })).ToArray();

        bool[] outcomes = await Task.WhenAll(callers).WaitAsync(Safety * 2);
        Assert.All(outcomes, Assert.True);
        Assert.Equal(0, client.InFlight);
        await client.DisposeAsync();
        await serving.WaitAsync(Safety);
    }

    [Fact]
    public async Task A_caller_that_blocks_after_its_response_does_not_stop_the_receive_loop()
    {
        await using var server = await TcpTestServer.StartAsync(EchoApp.CreateRouted());
        await using WireframeClient<Envelope> client = await WireframeClient.CreateBuilder()
            .ConnectAsync("127.0.0.1", server.Port);
        using var released = new ManualResetEventSlim();

        // The first caller blocks its thread until a later call, answered in a later read, has returned.
        bool firstResumed = false;
        Task<bool> blocking = Task.Run(async () =>
        {
            await client.CallAsync<byte[], byte[]>(EchoApp.EchoMessageId, [1]).ConfigureAwait(false);
            Volatile.Write(ref firstResumed, true);
            return released.Wait(Safety);
        });
        await Fragmentation.FragmentKit.WaitUntilAsync(() => Volatile.Read(ref firstResumed), "the first caller resumed");
        Assert.Equal(new byte[] { 2 }, await client.CallAsync<byte[], byte[]>(EchoApp.EchoMessageId, [2]).AsTask().WaitAsync(Safety));
        released.Set();
        Assert.True(await blocking.WaitAsync(Safety));
    }
}
