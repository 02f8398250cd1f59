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
    private async ValueTask StartConcurrentRequestAsync(TFrame frame, InboundMessage message, ReadOnlySequence<byte> raw, SemaphoreSlim inFlight, InboundAssembly<TFrame> assembly)
    {
        PooledBufferWriter owned;
        TFrame request;
        if (message.AsIs)
        {
            owned = new PooledBufferWriter((int)raw.Length);
            Framing.BufferWriting.Write(owned, raw);
            var copy = new ReadOnlySequence<byte>(owned.WrittenMemory);
            Application.Codec.TryDecode(ref copy, out request);
        }
        else
        {
            owned = InboundAssembly<TFrame>.Detach(message, out ReadOnlySequence<byte> payload);
            request = assembly.CreateMessage(frame, message with { Payload = payload, Owner = owned });
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
        while (PendingStop is null)
        {
            await assembly.WaitForRoomAsync().ConfigureAwait(false);
            assembly.PurgeIfDue();
            if (!assembly.MustWait)
            {
                break;
            }
        }
    }

    private async Task RunConcurrentRequestAsync(TFrame frame, PooledBufferWriter owned, long bytes, SemaphoreSlim inFlight, InboundAssembly<TFrame> assembly)
    {
        var context = new RequestContext<TFrame>(this);
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
            owned.Dispose();
            assembly.ReleaseInFlight(bytes);
            inFlight.Release();
        }
    }

    /// <summary>
    /// A frame fed a streamed body: a new body gets its handler (running beside the read loop), then
    /// the read loop waits while the handler has a full window unread. With one request at a time,
    /// a finished body's handler is awaited before the next frame, which keeps arrival order.
    /// </summary>
    private async ValueTask FeedBodyAsync(TFrame frame, InboundMessage message, SemaphoreSlim? inFlight, InboundAssembly<TFrame> assembly)
    {
        StreamedBody body = message.Body!;
        if (message.NewBody)
        {
            // The request's frame keeps its ids only: the payload arrives through the body.
            IEnvelopeFormat<TFrame> format = Application.Format;
            TFrame request = format.CreateFrame(format.GetMessageId(frame), format.GetCorrelationId(frame), ReadOnlySequence<byte>.Empty);
            if (inFlight is not null)
            {
                await inFlight.WaitAsync().ConfigureAwait(false);
            }

            body.Handler = RunBodyRequestAsync(request, body, inFlight);
            assembly.TrackBodyHandler(body.Handler);
        }

        await assembly.FlushBodyAsync(body).ConfigureAwait(false);
        if (body.Completed && inFlight is null && body.Handler is { } handler)
        {
            await handler.ConfigureAwait(false);
        }
    }

    private async Task RunBodyRequestAsync(TFrame frame, StreamedBody body, SemaphoreSlim? inFlight)
    {
        // Off the read loop's stack: the read loop goes on feeding the body while the handler reads it.
        await Task.Yield();
        var context = new RequestContext<TFrame>(this) { Body = body.Body };
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

            // What the handler left unread is discarded as it arrives.
            await body.Pipe.Reader.CompleteAsync().ConfigureAwait(false);
            inFlight?.Release();
        }
    }
}
