using System.Buffers;
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

    /// <summary>Copies a frame's bytes (the request outlives this read) and starts its request once a slot is free.</summary>
    private async ValueTask StartConcurrentRequestAsync(ReadOnlySequence<byte> raw, SemaphoreSlim inFlight)
    {
        var owned = new PooledBufferWriter((int)raw.Length);
        Framing.BufferWriting.Write(owned, raw);
        var copy = new ReadOnlySequence<byte>(owned.WrittenMemory);
        Application.Codec.TryDecode(ref copy, out TFrame frame);
        await inFlight.WaitAsync().ConfigureAwait(false);
        _ = RunConcurrentRequestAsync(frame, owned, inFlight);
    }

    private async Task RunConcurrentRequestAsync(TFrame frame, PooledBufferWriter owned, SemaphoreSlim inFlight)
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
            inFlight.Release();
        }
    }
}
