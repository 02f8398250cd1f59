using System.Buffers;
using Wireframe.Fragmentation;
using Wireframe.Framing;
using Wireframe.Messages;
using Wireframe.Routing;
using Wireframe.Testing;
using Wireframe.Tests.Support;
using static Wireframe.Tests.Fragmentation.FragmentKit;

namespace Wireframe.Tests.Fragmentation;

/// <summary>
/// A purge that falls due while the read loop is busy elsewhere (a sequential handler) is carried
/// out when the loop next waits on a streamed body whose handler is not reading: the expired body
/// is still evicted, and the loop is not parked for good. (Found by review: the loop used to block
/// on the body's flush without looking at the due purge.)
/// </summary>
public sealed class BodyPurgeWakeTests
{
    [Fact]
    public async Task A_purge_that_falls_due_while_a_handler_runs_is_not_lost_when_the_loop_then_waits_on_a_body()
    {
        var echoStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var echoGate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var stalledStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var readerStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var readerFailed = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);

        var app = WireframeApp.CreateBuilder(new LengthDelimitedOptions { MaxFrameLength = 1 << 20 })
            .UseFragmentation(60)
            .Configure(options =>
            {
                options.StreamedBodyWindow = 100;
                options.ReassemblyTimeout = TimeSpan.FromSeconds(5);
            });
        app.Route<MessageBody, byte[]>(Upload, async (body, context) =>
        {
            if (context.CorrelationId == 1)
            {
                // A handler that does not read (yet): its window fills and the socket stops, as documented.
                stalledStarted.TrySetResult();
                await Task.Delay(Timeout.Infinite, context.RequestAborted);
                return [];
            }

            readerStarted.TrySetResult();
            try
            {
                await foreach (ReadOnlyMemory<byte> _ in body.ReadChunksAsync(context.RequestAborted))
                {
                }

                return [1];
            }
            catch (MessageBodyException ex)
            {
                readerFailed.TrySetResult(ex.Message);
                return [];
            }
        });
        app.Route<ReadOnlySequence<byte>, byte[]>(Echo, async (payload, _) =>
        {
            echoStarted.TrySetResult();
            await echoGate.Task;
            return [2];
        });
        await using var host = WireframeTest.CreateHost(app);
        await using var client = host.Connect();
        IReadOnlyList<byte[]> reading = client.EncodeFragments(new Envelope(Upload, 2, new byte[300]), messageKey: 2);
        IReadOnlyList<byte[]> stalled = client.EncodeFragments(new Envelope(Upload, 1, new byte[300]), messageKey: 1);

        // t = 0: body 2 starts (its handler reads); the purge timer is armed for t = 5.
        await client.SendRawAsync(reading[0]);
        await readerStarted.Task.WaitAsync(Safety);

        // t = 3: body 1 starts (its handler does not read; 60 bytes fit in its 100-byte window).
        host.Time.Advance(TimeSpan.FromSeconds(3));
        await client.SendRawAsync(stalled[0]);
        await stalledStarted.Task.WaitAsync(Safety);

        // An ordinary request and body 1's next fragment arrive together; the request's handler holds the read loop.
        byte[] echo = client.EncodeFragments(new Envelope(Echo, 3, new byte[] { 7 }), messageKey: 3)[0];
        await client.SendRawAsync(echo.Concat(stalled[1]).ToArray());
        await echoStarted.Task.WaitAsync(Safety);

        // t = 5: body 2 expires and the purge timer fires while the read loop is inside the handler.
        host.Time.Advance(TimeSpan.FromSeconds(2));
        echoGate.SetResult();

        // The read loop then feeds body 1 past its window and waits for its handler. Body 2 must still
        // be broken off (and body 1 at t = 8); keep the clock moving in case a timer is re-armed.
        DateTime deadline = DateTime.UtcNow + Safety;
        while (!readerFailed.Task.IsCompleted && DateTime.UtcNow < deadline)
        {
            host.Time.Advance(TimeSpan.FromSeconds(1));
            await Task.WhenAny(readerFailed.Task, Task.Delay(50));
        }

        Assert.True(readerFailed.Task.IsCompleted, "Body 2 outlived ReassemblyTimeout: the purge that fell due while a handler ran was never carried out.");
        Assert.Contains("ReassemblyTimeout", await readerFailed.Task, StringComparison.Ordinal);
    }
}
