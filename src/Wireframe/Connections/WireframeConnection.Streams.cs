using Wireframe.Diagnostics;
using Wireframe.Outbound;
using Wireframe.Routing;

namespace Wireframe.Connections;

/// <summary>Streamed responses: one at a time per connection, every frame stamped with the request's correlation id.</summary>
public sealed partial class WireframeConnection<TFrame>
{
    private SemaphoreSlim? _streamLock;

    /// <summary>
    /// Writes a stream's items as response frames. Frames are batched while the producer keeps up
    /// and flushed whenever it would make the writer wait; pushes interleave between frames. On a
    /// natural end the protocol may add a terminator; a stream cut short by shutdown, a disconnect or
    /// an error gets none. Errors propagate to the request's error handling after the stream is disposed.
    /// </summary>
    internal async ValueTask SendStreamAsync<TItem>(RequestContext<TFrame> context, IAsyncEnumerable<TItem> stream, ResponseSender<TFrame, TItem> sender)
    {
        SemaphoreSlim? streamLock = null;
        if (Application.Options.MaxConcurrentRequestsPerConnection > 1)
        {
            // Concurrent requests: only one stream is active at a time, so their frames do not interleave.
            streamLock = LazyInitializer.EnsureInitialized(ref _streamLock, static () => new SemaphoreSlim(1, 1));
            await streamLock.WaitAsync().ConfigureAwait(false);
        }

        string how = StreamEnds.Error;
        IAsyncEnumerator<TItem>? items = null;
        try
        {
            items = stream.GetAsyncEnumerator(ConnectionClosing);
            how = await PumpStreamAsync(context, items, sender).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (PendingStop is not null)
        {
            how = StoppedHow();
        }
        finally
        {
            try
            {
                if (items is not null)
                {
                    await items.DisposeAsync().ConfigureAwait(false);
                }
            }
            finally
            {
                Application.Metrics.StreamEnded(how);
                WireframeLog.StreamEnded(Application.Logger, Id.Value, context.MessageId, how);
                streamLock?.Release();
            }
        }
    }

    private async ValueTask<string> PumpStreamAsync<TItem>(RequestContext<TFrame> context, IAsyncEnumerator<TItem> items, ResponseSender<TFrame, TItem> sender)
    {
        while (true)
        {
            ValueTask<bool> next = items.MoveNextAsync();
            if (!next.IsCompleted && !await Writer.FlushAsync().ConfigureAwait(false))
            {
                // The peer is gone while the producer is busy. An iterator cannot be disposed with a
                // MoveNextAsync pending, so tell it (its token fires) and wait for it to stop.
                RequestStop(new DisconnectInfo(DisconnectReason.PeerClosed, Detail: "The peer stopped reading during a streamed response."));
                await ObserveAsync(next).ConfigureAwait(false);
                return StreamEnds.Disconnected;
            }

            if (!await next.ConfigureAwait(false))
            {
                break;
            }

            if (PendingStop is not null)
            {
                return StoppedHow();
            }

            if (!await sender.WriteAsync(context, items.Current).ConfigureAwait(false))
            {
                return StreamEnds.Disconnected;
            }
        }

        if (Application.Protocol is { } protocol && protocol.TryCreateStreamTerminator(context, out TFrame terminator))
        {
            await Writer.WriteAsync(terminator).ConfigureAwait(false);
        }

        return StreamEnds.Completed;
    }

    private static async ValueTask ObserveAsync(ValueTask<bool> pending)
    {
        try
        {
            await pending.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // The iterator honoured the closing token, as it should.
        }
    }

    private string StoppedHow() => IsShuttingDown ? StreamEnds.Shutdown : StreamEnds.Disconnected;
}
