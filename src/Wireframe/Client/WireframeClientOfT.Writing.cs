using System.Buffers;
using Wireframe.Connections;
using Wireframe.Serialization;

namespace Wireframe.Client;

// The client's write path: requests that callers encode into a shared buffer, sent in batches by one writer loop, or by the receive loop for the callers it resumed.
public sealed partial class WireframeClient<TFrame>
{
    private const int MaxUnsentBytes = 64 * 1024;
    private const int WriteBufferSize = 16 * 1024;
    private const int WriteBufferRetainLimit = 1024 * 1024;

    // The longest timeout Task.WaitAsync accepts (about 49.7 days).
    private static readonly TimeSpan LongestTimedWait = TimeSpan.FromMilliseconds(uint.MaxValue - 1);

    private void Encode<TMessage>(uint messageId, ulong? correlationId, TMessage message)
    {
        if (message is TFrame asFrame)
        {
            EncodeFrame(asFrame);
            return;
        }

        IMessageFormatter<TMessage> formatter = Formatter<TMessage>();
        if (formatter is IPayloadPassthrough<TMessage> passthrough)
        {
            // Bytes the caller already has go into the frame as they are, not through a scratch copy.
            EncodeFrame(_format.CreateFrame(messageId, correlationId, passthrough.AsPayload(message)));
            return;
        }

        PooledBufferWriter scratch = PooledBufferWriter.RentScratch();
        try
        {
            formatter.Serialize(message, scratch);
            EncodeFrame(_format.CreateFrame(messageId, correlationId, new ReadOnlySequence<byte>(scratch.WrittenMemory)));
        }
        finally
        {
            PooledBufferWriter.ReturnScratch(scratch);
        }
    }

    private void EncodeFrame(TFrame frame)
    {
        foreach (FrameHook<TFrame> hook in _beforeSend)
        {
            hook(ref frame);
        }

        int before = _filling.WrittenCount;
        try
        {
            _codec.Encode(frame, _filling);
        }
        catch
        {
            // Nothing of a request that failed to encode goes on the wire.
            _filling.Truncate(before);
            throw;
        }

        Volatile.Write(ref _lastRequestLength, _filling.WrittenCount - before);
    }

    /// <summary>
    /// After a request was encoded (under the write lock): starts the writer if it sleeps, and tells
    /// whether more than <see cref="MaxUnsentBytes"/> wait to be sent, in which case the caller waits
    /// for the writer, which is the backpressure a slow server puts on callers.
    /// </summary>
    private bool Enqueued(out bool wake)
    {
        if (_dispatchThread == Environment.CurrentManagedThreadId)
        {
            // A caller the receive loop resumed (CompleteCallsInline): the loop sends what they wrote
            // once the read is dispatched, in one write, without waking the writer.
            _sendAfterDispatch = true;
            wake = false;
        }
        else
        {
            wake = StartWriter();
        }

        return _filling.WrittenCount >= MaxUnsentBytes;
    }

    /// <summary>
    /// The receive loop sends what the callers it resumed wrote, unless the writer is at work (it
    /// then sends it too). Afterwards the writer is woken if more came meanwhile, or if the client is
    /// closing or lost and the writer must see it to stop.
    /// </summary>
    private void SendAfterDispatch()
    {
        PooledBufferWriter batch;
        TaskCompletionSource? drained;
        lock (_writeLock)
        {
            _sendAfterDispatch = false;
            if (_writerBusy || _filling.WrittenCount == 0 || _lost is not null)
            {
                return;
            }

            _writerBusy = true;
            batch = TakeBatch(out drained);
        }

        // A write that does not finish at once finishes on its own while the loop goes back to
        // reading: a server that writes before it reads must not find both sides waiting.
        _ = FinishSendAsync(StartWrite(batch, drained), batch);
    }

    /// <summary>Ends a send the receive loop started: the writer is free again, and woken if more came meanwhile or if it must see the client closing.</summary>
    private async Task FinishSendAsync(ValueTask write, PooledBufferWriter batch)
    {
        await CompleteWriteAsync(write, batch).ConfigureAwait(false);
        bool wake;
        lock (_writeLock)
        {
            _writerBusy = false;
            wake = (_filling.WrittenCount > 0 || _closing || _lost is not null) && StartWriter();
        }

        if (wake)
        {
            _wakeWriter.Wake();
        }
    }

    /// <summary>Marks the writer busy if it was not (under the write lock).</summary>
    /// <returns>Whether it must be woken (after the lock is left).</returns>
    private bool StartWriter()
    {
        if (_writerBusy)
        {
            return false;
        }

        _writerBusy = true;
        return true;
    }

    /// <summary>Swaps the buffers: what callers gathered becomes the batch to send (under the write lock).</summary>
    private PooledBufferWriter TakeBatch(out TaskCompletionSource? drained)
    {
        drained = _drained;
        _drained = null;
        PooledBufferWriter batch = _filling;
        _filling = _sending;
        _sending = batch;
        return batch;
    }

    /// <summary>Starts sending a batch in one write; whoever waited for room has its request in it. A write that throws at once is returned as a failed one.</summary>
    private ValueTask StartWrite(PooledBufferWriter batch, TaskCompletionSource? drained)
    {
        drained?.TrySetResult();
        try
        {
            return _stream.WriteAsync(batch.WrittenMemory);
        }
        catch (Exception ex)
        {
            return ValueTask.FromException(ex);
        }
    }

    /// <summary>Waits for a batch's write; a failure loses the connection. The batch's buffer is then ready for the next one.</summary>
    private async ValueTask CompleteWriteAsync(ValueTask write, PooledBufferWriter batch)
    {
        try
        {
            await write.ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            Lose(new WireframeConnectionLostException($"Writing to the server failed: {ex.Message}", ex));
        }
        finally
        {
            batch.Reset(WriteBufferRetainLimit, WriteBufferSize);
        }
    }

    /// <summary>
    /// A call whose request found 64 KiB waiting to be sent waits for the writer to take it, but no
    /// longer than the call may last, and not past its cancellation (which then ends the call): a
    /// server that stopped reading must not hold a caller beyond its timeout.
    /// </summary>
    private async ValueTask WaitForRoomAsync(PendingCall<TFrame> call, long started, CancellationToken cancellationToken)
    {
        TimeSpan left = _timeoutTicker is null
            ? Timeout.InfiniteTimeSpan
            : _options.CallTimeout - _time.GetElapsedTime(started);
        if (left > LongestTimedWait)
        {
            // Longer than a timed wait can be; the ticker still fails the call at its deadline.
            left = LongestTimedWait;
        }

        try
        {
            await WaitForWriterAsync(CancellationToken.None).WaitAsync(left > TimeSpan.Zero || left == Timeout.InfiniteTimeSpan ? left : TimeSpan.Zero, _time, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // The deadline ticker fails the call; its outcome says so.
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            Cancel(call, cancellationToken);
        }
    }

    /// <summary>Waits until the writer has taken the requests gathered so far.</summary>
    private Task WaitForWriterAsync(CancellationToken cancellationToken)
    {
        Task drained;
        lock (_writeLock)
        {
            if (_filling.WrittenCount < MaxUnsentBytes || _lost is not null)
            {
                return Task.CompletedTask;
            }

            drained = (_drained ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
        }

        return drained.WaitAsync(cancellationToken);
    }

    /// <summary>
    /// The writer: sleeps until a request is encoded, then sends what has gathered, as one write,
    /// while callers go on encoding into the other buffer; until the client is closed or lost.
    /// </summary>
    private async Task WriteLoopAsync()
    {
        while (true)
        {
            await _wakeWriter.WaitAsync().ConfigureAwait(false);
            while (true)
            {
                PooledBufferWriter batch;
                TaskCompletionSource? drained;
                lock (_writeLock)
                {
                    if (_filling.WrittenCount == 0 || _lost is not null)
                    {
                        _writerBusy = false;
                        if (_closing || _lost is not null)
                        {
                            drained = _drained;
                            _drained = null;
                            drained?.TrySetResult();
                            return;
                        }

                        break;
                    }

                    batch = TakeBatch(out drained);
                }

                await CompleteWriteAsync(StartWrite(batch, drained), batch).ConfigureAwait(false);
            }
        }
    }
}
