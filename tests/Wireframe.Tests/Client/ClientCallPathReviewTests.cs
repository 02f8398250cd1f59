using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using Wireframe.Client;
using Wireframe.Examples.Echo;
using Wireframe.Messages;
using Wireframe.Outbound;
using Wireframe.Routing;
using Wireframe.Testing;
using Wireframe.Tests.Support;

namespace Wireframe.Tests.Client;

/// <summary>The client's call path at its edges, from review: the FIFO line under a loss, pushes after teardown, a writer stuck on a server that stopped reading, inline sends that must not stop reading.</summary>
public sealed class ClientCallPathReviewTests
{
    private const uint Count = 1;
    private const uint Echo = 2;
    private const uint End = 99;
    private static readonly TimeSpan Safety = TimeSpan.FromSeconds(30);

    /// <summary>
    /// FIFO: an AfterReceive hook that throws on a stream's terminator fails the stream and still takes
    /// it out of the line, so the next call gets its own answer.
    /// </summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)] // control: the hook throws on an item instead; the terminator still ends the stream
    public async Task Fifo_after_receive_hook_throwing_on_a_stream_terminator_does_not_jam_the_line(bool onTerminator)
    {
        await using var server = await TcpTestServer.StartAsync(StreamApp(gate: null));
        bool poisonTerminator = true;
        await using WireframeClient<Envelope> client = await WireframeClient.CreateBuilder()
            .Configure(options => options.CorrelationMode = CorrelationMode.Fifo)
            .UseStreamTerminator(frame => frame.MessageId == End)
            .AfterReceive((ref Envelope frame) =>
            {
                if ((onTerminator ? frame.MessageId == End : frame.Payload.FirstSpan is [1]) && Volatile.Read(ref poisonTerminator))
                {
                    Volatile.Write(ref poisonTerminator, false);
                    throw new InvalidDataException("the hook refuses the terminator");
                }
            })
            .ConnectAsync("127.0.0.1", server.Port);

        var items = new List<byte>();
        await Assert.ThrowsAsync<InvalidDataException>(async () =>
        {
            await foreach (byte[] item in client.StreamAsync<byte[], byte[]>(Count, [2]))
            {
                items.Add(item[0]);
            }
        }).WaitAsync(Safety);
        Assert.Equal(onTerminator ? [0, 1] : [0], items);

        // The stream is over (its terminator arrived); the next call must be answered.
        Task<byte[]> next = client.CallAsync<byte[], byte[]>(Echo, [5]).AsTask();
        await Fragmentation.FragmentKit.WaitUntilAsync(() => next.IsCompleted, "the call after the stream answered");
        Assert.Equal([5], await next);
    }

    /// <summary>
    /// FIFO: a loss draining the line while the receive loop handles its head fails every call; none
    /// is left hanging or released twice. Made deterministic with an abandoned stream (its terminator
    /// check runs between looking at the head and taking it) and an inline caller that the loss resumes
    /// mid-drain.
    /// </summary>
    [Fact]
    public async Task Fifo_disposing_while_the_receive_loop_dispatches_fails_every_call_in_the_line()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await TcpTestServer.StartAsync(StreamApp(gate));
        using var inTerminatorCheck = new ManualResetEventSlim();
        using var proceed = new ManualResetEventSlim();
        using var unmatched = new ManualResetEventSlim();
        int armed = 0;
        WireframeClient<Envelope> client = await WireframeClient.CreateBuilder()
            .Configure(options =>
            {
                options.CorrelationMode = CorrelationMode.Fifo;
                options.CompleteCallsInline = true;
            })
            .UseStreamTerminator(frame =>
            {
                if (Interlocked.Exchange(ref armed, 0) == 1)
                {
                    inTerminatorCheck.Set();
                    proceed.Wait(Safety);
                    return true;
                }

                return frame.MessageId == End;
            })
            .OnUnmatchedResponse((_, _) => unmatched.Set())
            .ConnectAsync("127.0.0.1", server.Port);

        // An abandoned stream at the head of the line: item 0 read, then the consumer stops.
        await using (IAsyncEnumerator<byte[]> items = client.StreamAsync<byte[], byte[]>(Count, [2]).GetAsyncEnumerator())
        {
            Assert.True(await items.MoveNextAsync().AsTask().WaitAsync(Safety));
        }

        // Behind it, C1 (whose caller Lose resumes inline, mid-drain) and C2.
        Task c1 = Task.Run(async () =>
        {
            try
            {
                await client.CallAsync<byte[], byte[]>(Echo, [1]).ConfigureAwait(false);
            }
            catch (WireframeConnectionLostException)
            {
                // Running inside Lose's drain: let the receive loop finish its dequeue first.
                proceed.Set();
                unmatched.Wait(Safety);
                throw;
            }
        });
        await Fragmentation.FragmentKit.WaitUntilAsync(() => client.InFlight == 2, "C1 in line");
        Task<byte[]> c2 = Task.Run(() => client.CallAsync<byte[], byte[]>(Echo, [2]).AsTask());
        await Fragmentation.FragmentKit.WaitUntilAsync(() => client.InFlight == 3, "C2 in line");

        // The stream's next frame: the loop peeks the abandoned stream and stops in its terminator check.
        Volatile.Write(ref armed, 1);
        gate.SetResult();
        await Fragmentation.FragmentKit.WaitUntilAsync(() => inTerminatorCheck.IsSet, "the loop between peek and dequeue");

        Task disposing = Task.Run(async () => await client.DisposeAsync());
        await Assert.ThrowsAsync<WireframeConnectionLostException>(() => c1.WaitAsync(Safety));
        await disposing.WaitAsync(Safety);

        // Every call in flight fails with "connection lost"; none is left hanging.
        await Fragmentation.FragmentKit.WaitUntilAsync(() => c2.IsCompleted, "C2 failed by the lost connection");
        await Assert.ThrowsAsync<WireframeConnectionLostException>(() => c2);
    }

    /// <summary>
    /// Pushes end only after OnDisconnected has returned, even when a second loss (here from
    /// DisposeAsync) comes while the first is inside the hook.
    /// </summary>
    [Fact]
    public async Task Pushes_do_not_end_before_the_disconnect_hook_has_run_even_when_disposing_meanwhile()
    {
        await using var server = await TcpTestServer.StartAsync(EchoApp.CreateRouted());
        using var hookEntered = new ManualResetEventSlim();
        bool pushesEndedInsideHook = false;
        WireframeClient<Envelope> client = await WireframeClient.CreateBuilder()
            .OnDisconnected((connection, _) =>
            {
                hookEntered.Set();

                // A teardown that takes a moment: the pushes must still be open until it returns.
                pushesEndedInsideHook = connection.Pushes.Completion.Wait(TimeSpan.FromSeconds(3));
            })
            .ConnectAsync("127.0.0.1", server.Port);

        Task stopping = server.Server.StopAsync();
        await Fragmentation.FragmentKit.WaitUntilAsync(() => hookEntered.IsSet, "the disconnect hook running");
        Task disposing = Task.Run(async () => await client.DisposeAsync());
        await disposing.WaitAsync(Safety);
        await stopping.WaitAsync(Safety);

        Assert.False(pushesEndedInsideHook, "the pushes ended while OnDisconnected was still running");
    }

    /// <summary>
    /// A caller that waits for the writer (64 KiB unsent, a server that stopped reading) still times out
    /// at its CallTimeout and still ends when its token is cancelled.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_call_waiting_for_the_writer_still_times_out_and_can_be_cancelled(bool cancel)
    {
        await using var silent = await SilentServer.StartAsync();
        var time = new ManualTimeProvider();
        WireframeClient<Envelope> client = await ConnectWithStuckWriterAsync(silent, time, TimeSpan.FromSeconds(1));
        try
        {
            using var cts = new CancellationTokenSource();
            Task<byte[]> call = client.CallAsync<byte[], byte[]>(Echo, new byte[100_000], cts.Token).AsTask();
            if (cancel)
            {
                await cts.CancelAsync();
            }
            else
            {
                time.Advance(TimeSpan.FromSeconds(3));
            }

            await Fragmentation.FragmentKit.WaitUntilAsync(() => call.IsCompleted, cancel ? "the cancelled call ended" : "the timed-out call ended");
            if (cancel)
            {
                await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);
            }
            else
            {
                await Assert.ThrowsAsync<TimeoutException>(() => call);
            }
        }
        finally
        {
            silent.Abort();
            await client.DisposeAsync().AsTask().WaitAsync(Safety);
        }
    }

    /// <summary>
    /// A CallTimeout longer than a timed wait can be (about 49.7 days) does not fail a call that waits
    /// for the writer at once: it waits, and still times out at its deadline.
    /// </summary>
    [Fact]
    public async Task A_call_waiting_for_the_writer_with_a_CallTimeout_of_60_days_times_out_at_its_deadline()
    {
        await using var silent = await SilentServer.StartAsync();
        var time = new ManualTimeProvider();
        WireframeClient<Envelope> client = await ConnectWithStuckWriterAsync(silent, time, TimeSpan.FromDays(60));
        try
        {
            Task<byte[]> call = client.CallAsync<byte[], byte[]>(Echo, new byte[100_000]).AsTask();
            time.Advance(TimeSpan.FromDays(61));
            await Fragmentation.FragmentKit.WaitUntilAsync(() => call.IsCompleted, "the call ended");
            await Assert.ThrowsAsync<TimeoutException>(() => call);
        }
        finally
        {
            silent.Abort();
            await client.DisposeAsync().AsTask().WaitAsync(Safety);
        }
    }

    /// <summary>
    /// DisposeAsync completes against a server that stopped reading: the drain of accepted requests is
    /// bounded by CloseTimeout, after which the socket is shut and the stuck write ends.
    /// </summary>
    [Fact]
    public async Task DisposeAsync_completes_against_a_server_that_stopped_reading()
    {
        await using var silent = await SilentServer.StartAsync();
        var time = new ManualTimeProvider();
        WireframeClient<Envelope> client = await ConnectWithStuckWriterAsync(silent, time);
        Task disposing = Task.CompletedTask;
        try
        {
            disposing = client.DisposeAsync().AsTask();

            // The client's clock moves until CloseTimeout (10 s) has passed for the drain.
            await Fragmentation.FragmentKit.WaitUntilAsync(
                () =>
                {
                    time.Advance(TimeSpan.FromSeconds(1));
                    return disposing.IsCompleted;
                },
                "DisposeAsync completed");
        }
        finally
        {
            silent.Abort();
            await disposing.WaitAsync(Safety);
        }
    }

    /// <summary>
    /// CompleteCallsInline: a write the receive loop starts that does not finish at once finishes on its
    /// own while the loop goes back to reading, so a server that writes before it reads (a long response
    /// or pushes, then the next request) does not find both sides waiting.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_large_send_from_a_resumed_caller_does_not_stop_the_receive_loop_reading(bool inline)
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.ReceiveBufferSize = 64 * 1024;
        listener.SendBufferSize = 64 * 1024;
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        int port = ((IPEndPoint)listener.LocalEndPoint!).Port;
        bool serverWroteAll = false;
        Socket? accepted = null;
        Task serving = Task.Run(async () =>
        {
            accepted = await listener.AcceptAsync();
            byte[] request = await SocketFrames.ReadFrameAsync(accepted);
            ulong correlationId = BinaryPrimitives.ReadUInt64BigEndian(request.AsSpan(5));

            // The answer, then 8 MiB of pushes, written before the server reads anything else.
            var output = new List<byte>(FrameSocket.Envelope(Echo, [1], correlationId));
            byte[] push = FrameSocket.Envelope(7, new byte[8192]);
            for (int i = 0; i < 1024; i++)
            {
                output.AddRange(push);
            }

            byte[] bytes = [.. output];
            for (int sent = 0; sent < bytes.Length;)
            {
                sent += await accepted.SendAsync(bytes.AsMemory(sent));
            }

            Volatile.Write(ref serverWroteAll, true);
            byte[] sink = new byte[64 * 1024];
            while (await accepted.ReceiveAsync(sink) > 0)
            {
            }
        });

        WireframeClient<Envelope> client = await WireframeClient.CreateBuilder()
            .Configure(options =>
            {
                options.CompleteCallsInline = inline;
                options.SendBufferSize = 64 * 1024;
                options.ReceiveBufferSize = 64 * 1024;
            })
            .ConnectAsync("127.0.0.1", port);
        try
        {
            Task caller = Task.Run(async () =>
            {
                await client.CallAsync<byte[], byte[]>(Echo, [1]).ConfigureAwait(false);

                // Inline, this runs on the receive loop, which then writes it itself.
                for (int i = 0; i < 4; i++)
                {
                    await client.SendAsync<byte[]>(Echo, new byte[900_000]).ConfigureAwait(false);
                }
            });

            await Fragmentation.FragmentKit.WaitUntilAsync(() => Volatile.Read(ref serverWroteAll), "the server's writes read by the client");
            await caller.WaitAsync(Safety);
        }
        finally
        {
            accepted?.Dispose();
            await client.DisposeAsync().AsTask().WaitAsync(Safety);
            await Task.WhenAny(serving, Task.Delay(Safety));
        }
    }

    /// <summary>Message <see cref="Count"/> [n] streams n one-byte items (after the first, waiting for <paramref name="gate"/> if given); <see cref="Echo"/> echoes.</summary>
    private static WireframeAppBuilder<Envelope> StreamApp(TaskCompletionSource? gate)
    {
        var app = WireframeApp.CreateBuilder().WithProtocol(new Terminating());
        app.RouteStream<byte[], byte[]>(Count, (request, _) => Items(request, gate));
        app.Route<ReadOnlySequence<byte>, byte[]>(Echo, (payload, _) => payload.ToArray());
        return app;

        static async IAsyncEnumerable<byte[]> Items(byte[] request, TaskCompletionSource? gate, [EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            for (byte i = 0; i < request[0]; i++)
            {
                if (i == 1 && gate is not null)
                {
                    await gate.Task.WaitAsync(cancellationToken);
                }

                yield return [i];
            }
        }
    }

    /// <summary>
    /// Connects a client on <paramref name="time"/> to <paramref name="silent"/> with a 64 KiB send
    /// buffer and leaves its writer stuck: it takes a 900 KB batch the server never reads.
    /// </summary>
    private static async Task<WireframeClient<Envelope>> ConnectWithStuckWriterAsync(SilentServer silent, ManualTimeProvider time, TimeSpan? callTimeout = null)
    {
        WireframeClient<Envelope> client = await WireframeClient.CreateBuilder()
            .UseTimeProvider(time)
            .Configure(options =>
            {
                options.CallTimeout = callTimeout ?? options.CallTimeout;
                options.SendBufferSize = 64 * 1024;
            })
            .ConnectAsync("127.0.0.1", silent.Port);
        try
        {
            await silent.Accepted.WaitAsync(Safety);
            await client.SendAsync<byte[]>(Echo, new byte[900_000]).AsTask().WaitAsync(Safety);
            return client;
        }
        catch
        {
            silent.Abort();
            await client.DisposeAsync().AsTask().WaitAsync(Safety);
            throw;
        }
    }


    private sealed class Terminating : IWireframeProtocol<Envelope>
    {
        public bool TryCreateStreamTerminator(RequestContext<Envelope> context, out Envelope frame)
        {
            frame = new Envelope(End, context.CorrelationId, ReadOnlyMemory<byte>.Empty);
            return true;
        }
    }

    /// <summary>A TCP server that accepts one connection and never reads from it.</summary>
    private sealed class SilentServer : IAsyncDisposable
    {
        private readonly Socket _listener;
        private Socket? _accepted;

        private SilentServer(Socket listener)
        {
            _listener = listener;
            Accepted = AcceptAsync();
        }

        public int Port => ((IPEndPoint)_listener.LocalEndPoint!).Port;

        public Task Accepted { get; }

        public static Task<SilentServer> StartAsync()
        {
            var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 64 * 1024 };
            listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            listener.Listen(1);
            return Task.FromResult(new SilentServer(listener));
        }

        /// <summary>Closes the accepted connection (with unread data: a reset), which ends the client's blocked write.</summary>
        public void Abort()
        {
            _accepted?.Close(0);
        }

        public ValueTask DisposeAsync()
        {
            Abort();
            _listener.Dispose();
            return ValueTask.CompletedTask;
        }

        private async Task AcceptAsync() => _accepted = await _listener.AcceptAsync();
    }
}
