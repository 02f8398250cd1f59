using Wireframe.Diagnostics;
using Wireframe.Outbound;
using Wireframe.Routing;

namespace Wireframe.Connections;

/// <summary>Streamed responses: one at a time per connection, every frame stamped with the request's correlation id.</summary>
public sealed partial class WireframeConnection<TFrame>
{
    private SemaphoreSlim? _streamLock;
    private CancellationTokenRegistration _peerClosedWatch;
    private int _activeStreams;
    private int _peerClosedWatched;

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
        Exception? failure = null;
        IAsyncEnumerator<TItem>? items = null;
        Interlocked.Increment(ref _activeStreams);
        try
        {
            WatchForPeerClosed();
            items = stream.GetAsyncEnumerator(ConnectionClosing);
            how = await PumpStreamAsync(context, items, sender).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (PendingStop is not null)
        {
            how = StoppedHow();
        }
        catch (Exception ex) when (streamLock is not null)
        {
            // Concurrent requests: the failure's error frame must follow this stream's frames before
            // another stream may start, so the request's error handling runs under the stream lock.
            failure = ex;
        }
        finally
        {
            try
            {
                if (items is not null)
                {
                    await items.DisposeAsync().ConfigureAwait(false);
                }

                if (failure is not null)
                {
                    await FailRequestAsync(context, failure).ConfigureAwait(false);
                }
            }
            finally
            {
                Interlocked.Decrement(ref _activeStreams);
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
                return StoppedHow();
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
                RequestStop(new DisconnectInfo(DisconnectReason.PeerClosed, Detail: "The connection closed during a streamed response."));
                return StoppedHow();
            }
        }

        if (_protocol is { } protocol && CreateTerminator(protocol, context, out TFrame terminator))
        {
            await Writer.WriteAsync(terminator).ConfigureAwait(false);
        }

        return StreamEnds.Completed;
    }

    private static bool CreateTerminator(IWireframeProtocol<TFrame> protocol, RequestContext<TFrame> context, out TFrame terminator)
    {
        try
        {
            return protocol.TryCreateStreamTerminator(context, out terminator);
        }
        catch (Exception ex)
        {
            throw new ProtocolHookException("stream terminator", ex);
        }
    }

    /// <summary>
    /// A stream may wait on its producer for as long as it likes (a subscription with nothing new to
    /// say), and in sequential mode nobody reads the socket meanwhile, so the transport's own signal
    /// is what tells it the client left: when the client's side of the connection closes during a
    /// stream, the connection stops and the producer's token fires. Watched from the first stream on.
    /// </summary>
    private void WatchForPeerClosed()
    {
        if (Interlocked.Exchange(ref _peerClosedWatched, 1) == 0)
        {
            _peerClosedWatch = _transport.ConnectionClosed.UnsafeRegister(static state => ((WireframeConnection<TFrame>)state!).OnPeerClosed(), this);
        }
        else if (_transport.ConnectionClosed.IsCancellationRequested)
        {
            OnPeerClosed();
        }
    }

    private void OnPeerClosed()
    {
        if (Volatile.Read(ref _activeStreams) > 0)
        {
            RequestStop(new DisconnectInfo(DisconnectReason.PeerClosed, Detail: "The client closed its side of the connection during a streamed response."));
        }
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
