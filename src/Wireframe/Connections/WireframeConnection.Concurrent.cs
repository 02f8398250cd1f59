using System.Buffers;
using Wireframe.Fragmentation;
using Wireframe.Messages;
using Wireframe.Routing;

namespace Wireframe.Connections;

/// <summary>Concurrent request handling, for applications that opt into it per connection.</summary>
public sealed partial class WireframeConnection<TFrame>
{
    private async ValueTask<DisconnectInfo> ConcurrentReadLoopAsync(int limit)
    {
        using var inFlight = new SemaphoreSlim(limit, limit);
        try
        {
            return await ReadLoopAsync(inFlight).ConfigureAwait(false);
        }
        finally
        {
            // Teardown never runs under a live handler: wait for every request to finish.
            for (int i = 0; i < limit; i++)
            {
                await inFlight.WaitAsync().ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// Gives a message memory of its own (the request outlives this read), waits while handlers hold
    /// too much of the connection's memory budget, then starts the request once a slot is free.
    /// </summary>
    /// <param name="request">The message: the decoded frame, or one rebuilt by fragmentation.</param>
    /// <param name="rebuilt">Whether <paramref name="request"/> was rebuilt (its payload is in <paramref name="owner"/>, or a view of the input).</param>
    /// <param name="owner">The pooled buffer of a reassembled payload, which the request takes over.</param>
    /// <param name="raw">The frame's bytes in the input, copied when the frame is dispatched as it stands.</param>
    /// <param name="inFlight">The slots for concurrent requests.</param>
    /// <param name="assembly">The connection's inbound budget.</param>
    private async ValueTask StartConcurrentRequestAsync(TFrame request, bool rebuilt, PooledBufferWriter? owner, ReadOnlySequence<byte> raw, SemaphoreSlim inFlight, InboundAssembly<TFrame> assembly)
    {
        PooledBufferWriter owned;
        if (!rebuilt)
        {
            owned = new PooledBufferWriter((int)raw.Length);
            owned.Write(raw);
            var copy = new ReadOnlySequence<byte>(owned.WrittenMemory);
            Application.Codec.TryDecode(ref copy, out request);
        }
        else
        {
            owned = owner ?? assembly.Detach(ref request);
        }

        long bytes = owned.WrittenCount;
        assembly.TrackInFlight(bytes);
        try
        {
            await inFlight.WaitAsync().ConfigureAwait(false);
        }
        catch
        {
            assembly.ReleaseInFlight(bytes);
            owned.Dispose();
            throw;
        }

        _ = RunConcurrentRequestAsync(request, owned, bytes, inFlight, assembly);

        // Reading goes on only while the handlers hold less than 80 % of the budget.
        await assembly.WaitForRoomAsync().ConfigureAwait(false);
    }

    private async Task RunConcurrentRequestAsync(TFrame frame, PooledBufferWriter owned, long bytes, SemaphoreSlim inFlight, InboundAssembly<TFrame> assembly)
    {
        try
        {
            await HandleOffLoopAsync(new RequestContext<TFrame>(this), frame).ConfigureAwait(false);
        }
        finally
        {
            owned.Dispose();
            assembly.ReleaseInFlight(bytes);
            inFlight.Release();
        }
    }

    /// <summary>
    /// Runs a request beside the read loop, in a context of its own: the pipeline, the failure
    /// policy, a flush of what it wrote, and the command-end hook. Never throws for the request's
    /// own failures.
    /// </summary>
    [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask HandleOffLoopAsync(RequestContext<TFrame> context, TFrame frame)
    {
        context.Start(frame, Application.Format.GetMessageId(frame), Application.Format.GetCorrelationId(frame));
        try
        {
            try
            {
                await Application.Pipeline(context).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                await FailRequestAsync(context, ex).ConfigureAwait(false);
            }

            await Writer.FlushAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (TransportErrors.IsTransportError(ex))
        {
            RequestStop(new DisconnectInfo(DisconnectReason.TransportError, Exception: ex, Detail: ex.Message));
        }
        finally
        {
            EndCommand(context);
        }
    }

    /// <summary>
    /// A frame fed a streamed body: a new body gets its handler (running beside the read loop), then
    /// the read loop waits while the handler has a full window unread. With one request at a time,
    /// a finished body's handler is awaited before the next frame, which keeps arrival order.
    /// Body handlers take no concurrent-request slot: they wait for fragments only the read loop can
    /// deliver, so a read loop waiting for a slot they hold would never deliver them. Their number is
    /// bounded by <see cref="WireframeOptions.MaxMessagesInReassembly"/> instead.
    /// </summary>
    private async ValueTask FeedBodyAsync(TFrame frame, StreamedBody body, bool isNew, SemaphoreSlim? inFlight, InboundAssembly<TFrame> assembly)
    {
        if (isNew)
        {
            // The request's frame keeps its routing information; the payload arrives through the body.
            TFrame request = Application.Format.WithPayload(frame, ReadOnlySequence<byte>.Empty);
            if (inFlight is not null)
            {
                await assembly.WaitForBodyHandlerRoomAsync(Application.Options.MaxConcurrentRequestsPerConnection).ConfigureAwait(false);
            }

            body.Handler = RunBodyRequestAsync(request, body);
            assembly.TrackBodyHandler(body.Handler);
        }

        await assembly.FlushBodyAsync(body).ConfigureAwait(false);
        if (body.Completed && inFlight is null && body.Handler is { } handler)
        {
            await handler.ConfigureAwait(false);
        }
    }

    private async Task RunBodyRequestAsync(TFrame frame, StreamedBody body)
    {
        // Off the read loop's stack: the read loop goes on feeding the body while the handler reads it.
        await Task.Yield();
        try
        {
            await HandleOffLoopAsync(new RequestContext<TFrame>(this) { Body = body.Body }, frame).ConfigureAwait(false);
        }
        finally
        {
            // What the handler left unread is discarded as it arrives.
            await body.Pipe.Reader.CompleteAsync().ConfigureAwait(false);
        }
    }
}
