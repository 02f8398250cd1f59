using System.Buffers;
using System.IO.Pipelines;
using Wireframe.Framing;
using Wireframe.Routing;

namespace Wireframe.Connections;

/// <summary>The read loop for applications that opt into concurrent requests per connection.</summary>
public sealed partial class WireframeConnection<TFrame>
{
    private async ValueTask<DisconnectInfo> ConcurrentReadLoopAsync()
    {
        int limit = Application.Options.MaxConcurrentRequestsPerConnection;
        using var inFlight = new SemaphoreSlim(limit, limit);
        PipeReader input = Input;
        var decoder = new FrameDecoder<TFrame>(this);
        try
        {
            while (true)
            {
                if (PendingStop is { } stop)
                {
                    return stop;
                }

                ReadResult result = await input.ReadAsync().ConfigureAwait(false);
                ReadOnlySequence<byte> buffer = result.Buffer;
                if (result.IsCanceled)
                {
                    input.AdvanceTo(buffer.Start);
                    continue;
                }

                DisconnectInfo? outcome = null;
                long frames = 0;
                try
                {
                    while (PendingStop is null && decoder.Next(ref buffer, out _, ref outcome) == DecodeStatus.Frame)
                    {
                        frames++;

                        // The request outlives this read, so it gets its own copy of the frame's bytes.
                        ReadOnlySequence<byte> raw = result.Buffer.Slice(decoder.FrameStart, buffer.Start);
                        var owned = new PooledBufferWriter((int)raw.Length);
                        Framing.BufferWriting.Write(owned, raw);
                        var copy = new ReadOnlySequence<byte>(owned.WrittenMemory);
                        Application.Codec.TryDecode(ref copy, out TFrame frame);
                        await inFlight.WaitAsync().ConfigureAwait(false);
                        _ = RunConcurrentRequestAsync(frame, owned, inFlight);
                    }

                    if (outcome is null && result.IsCompleted && PendingStop is null)
                    {
                        outcome = decoder.Eof(buffer);
                    }
                }
                finally
                {
                    input.AdvanceTo(buffer.Start, buffer.End);
                }

                Application.Metrics.FramesReceived(frames);
                if (outcome is not null)
                {
                    return outcome;
                }
            }
        }
        finally
        {
            for (int i = 0; i < limit; i++)
            {
                await inFlight.WaitAsync().ConfigureAwait(false);
            }
        }
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
            context.Finish();
            owned.Dispose();
            inFlight.Release();
        }
    }
}
