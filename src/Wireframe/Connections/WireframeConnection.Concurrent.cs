using System.Buffers;
using Wireframe.Fragmentation;
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
}
