using System.Buffers;
using System.Globalization;
using System.IO.Pipelines;
using System.Net.Sockets;
using Wireframe.Framing;

namespace Wireframe.Client;

// The client's receive loop: frames decoded and matched to their calls, streams and pushes; an application callback that throws costs only its frame's call.
public sealed partial class WireframeClient<TFrame>
{
    private async Task ReceiveAsync()
    {
        Exception? failure = null;
        try
        {
            while (true)
            {
                ReadResult result = await _input.ReadAsync().ConfigureAwait(false);
                ReadOnlySequence<byte> buffer = result.Buffer;
                if (_options.CompleteCallsInline)
                {
                    _dispatchThread = Environment.CurrentManagedThreadId;
                }

                try
                {
                    while (true)
                    {
                        SequencePosition start = buffer.Start;
                        DecodeResult decoded = _codec.TryDecode(ref buffer, out TFrame frame);
                        if (decoded.Status == DecodeStatus.Frame)
                        {
                            Dispatch(frame, result.Buffer.Slice(start, buffer.Start));
                            continue;
                        }

                        if (decoded.Status == DecodeStatus.Error)
                        {
                            throw new InvalidDataException($"The server sent a frame the client cannot decode: {decoded.Message}");
                        }

                        break;
                    }
                }
                finally
                {
                    _dispatchThread = 0;
                    _input.AdvanceTo(buffer.Start, buffer.End);
                }

                if (_sendAfterDispatch)
                {
                    SendAfterDispatch();
                }

                if (result.IsCompleted)
                {
                    failure = new WireframeConnectionLostException(WithInFlightHint(buffer.IsEmpty
                        ? "The server closed the connection."
                        : $"The server closed the connection in the middle of a frame ({buffer.Length} bytes)."));
                    break;
                }
            }
        }
        catch (Exception ex)
        {
            failure = ex is WireframeConnectionLostException ? ex : new WireframeConnectionLostException(
                ex is IOException or SocketException ? WithInFlightHint($"The connection failed: {ex.Message}") : $"The connection failed: {ex.Message}", ex);
        }
        finally
        {
            Lose(failure ?? new WireframeConnectionLostException("The connection closed."));
            await _input.CompleteAsync().ConfigureAwait(false);
        }
    }

    private void Dispatch(TFrame frame, ReadOnlySequence<byte> raw)
    {
        try
        {
            foreach (FrameHook<TFrame> hook in _afterReceive)
            {
                hook(ref frame);
            }
        }
        catch (Exception ex)
        {
            FailFrameTarget(frame, ex, nameof(WireframeClientBuilder<TFrame>.AfterReceive));
            return;
        }

        if (_options.CorrelationMode == CorrelationMode.Fifo)
        {
            if (PeekLine() is { } next)
            {
                if (next.IsDone)
                {
                    // An abandoned stream keeps its place until its terminator: the frames up to it are its own.
                    if ((!next.IsStream || EndsAbandonedStream(frame)) && RemoveHead(next))
                    {
                        next.Unregistered();
                    }

                    Unmatched(frame);
                    return;
                }

                if (!next.IsStream)
                {
                    // Out of the line before its caller resumes (perhaps right here, inline), so the
                    // caller never sees its own call still counted in flight. A call the loss took
                    // out meanwhile is the loss's to fail.
                    if (RemoveHead(next))
                    {
                        Deliver(next, frame, raw);
                        next.Unregistered();
                    }
                }
                else if (Deliver(next, frame, raw) && RemoveHead(next))
                {
                    next.Unregistered();
                }

                return;
            }

            Push(frame, raw);
            return;
        }

        if (_format.GetCorrelationId(frame) is not ulong correlationId)
        {
            Push(frame, raw);
            return;
        }

        PendingCall<TFrame>? call;
        lock (_tableLock)
        {
            if (_calls.TryGetValue(correlationId, out call) && !call.IsStream)
            {
                _calls.Remove(correlationId);
                _callCount--;
            }
        }

        if (call is null)
        {
            Unmatched(frame);
            return;
        }

        if (!call.IsStream)
        {
            Deliver(call, frame, raw);
            call.Unregistered();
            return;
        }

        if (Deliver(call, frame, raw))
        {
            Unregister(call);
        }
    }

    /// <summary>
    /// Adds what the caller needs to tell why a server dropped the connection under its calls: the
    /// most common cause is a request above the server's maximum frame length, which a server refuses
    /// by closing the connection, so the size of the last request is named next to that cause.
    /// </summary>
    private string WithInFlightHint(string reason)
    {
        int inFlight = InFlight;
        long lastRequest = Volatile.Read(ref _lastRequestLength);
        return inFlight == 0 || lastRequest == 0
            ? reason
            : string.Create(CultureInfo.InvariantCulture, $"{reason} {inFlight} call(s) were waiting; the last request sent was {lastRequest:N0} bytes. (A server also closes the connection on a frame above its maximum frame length; to have such a request refused before it is sent, give the client's codec the server's limit, LengthDelimitedOptions.MaxFrameLength.)");
    }

    /// <summary>Gives a frame to its call or stream: an error frame fails it, anything else is its response or next item.</summary>
    /// <returns>Whether the call or stream is over.</returns>
    private bool Deliver(PendingCall<TFrame> call, in TFrame frame, ReadOnlySequence<byte> raw)
    {
        Exception? error;
        try
        {
            error = _readError?.Invoke(frame);
        }
        catch (Exception ex)
        {
            // The application's error-frame reader failed: that call fails with it, nothing else does.
            ClientLog.CallbackFailed(_logger, ex, nameof(WireframeClientBuilder<TFrame>.UseErrorFrames), _format.GetMessageId(frame));
            error = ex;
        }

        if (error is not null)
        {
            call.Fail(error);
            return true;
        }

        return call.Receive(frame, raw);
    }

    /// <summary>Whether a frame for an abandoned FIFO stream ends it (its terminator or an error frame); a reader that throws ends it too, so the line moves on.</summary>
    private bool EndsAbandonedStream(in TFrame frame)
    {
        try
        {
            return _isTerminator!(frame) || _readError?.Invoke(frame) is not null;
        }
        catch (Exception ex)
        {
            ClientLog.CallbackFailed(_logger, ex, nameof(WireframeClientBuilder<TFrame>.UseStreamTerminator), _format.GetMessageId(frame));
            return true;
        }
    }

    private PendingCall<TFrame>? PeekLine()
    {
        lock (_tableLock)
        {
            return _inOrder.TryPeek(out PendingCall<TFrame>? head) ? head : null;
        }
    }

    /// <summary>Takes a call off the head of the FIFO line if it is still there.</summary>
    /// <returns>Whether it was (the caller then owes <see cref="PendingCall{TFrame}.Unregistered"/>).</returns>
    private bool RemoveHead(PendingCall<TFrame> call)
    {
        lock (_tableLock)
        {
            if (_inOrder.TryPeek(out PendingCall<TFrame>? head) && ReferenceEquals(head, call))
            {
                _inOrder.Dequeue();
                return true;
            }

            return false;
        }
    }

    private PendingCall<TFrame>[] DrainLine()
    {
        lock (_tableLock)
        {
            PendingCall<TFrame>[] line = [.. _inOrder];
            _inOrder.Clear();
            return line;
        }
    }

    /// <summary>
    /// A frame an application callback failed on: the call it answers (by correlation id, or the
    /// head of the FIFO line) fails with the callback's exception; a frame that answers no call is dropped.
    /// </summary>
    private void FailFrameTarget(in TFrame frame, Exception exception, string callback)
    {
        ClientLog.CallbackFailed(_logger, exception, callback, _format.GetMessageId(frame));
        if (_options.CorrelationMode == CorrelationMode.Fifo)
        {
            if (PeekLine() is not { } next)
            {
                return;
            }

            if (!next.IsStream)
            {
                if (RemoveHead(next))
                {
                    next.FailUnregistered(exception);
                }

                return;
            }

            // A stream fails, and leaves the line if this frame was its end; otherwise it stays, abandoned, until its end comes.
            next.Fail(exception);
            if (EndsAbandonedStream(frame) && RemoveHead(next))
            {
                next.Unregistered();
            }

            return;
        }

        if (_format.GetCorrelationId(frame) is ulong correlationId)
        {
            PendingCall<TFrame>? call;
            lock (_tableLock)
            {
                if (_calls.Remove(correlationId, out call))
                {
                    _callCount--;
                }
            }

            if (call is not null)
            {
                call.FailUnregistered(exception);
            }
        }
    }

    private void Unmatched(in TFrame frame)
    {
        Interlocked.Increment(ref _unmatched);
        _metrics.Unmatched();
        ClientLog.UnmatchedResponse(_logger, _format.GetCorrelationId(frame), _format.GetMessageId(frame));
        try
        {
            _onUnmatched?.Invoke(_format.GetCorrelationId(frame), _format.GetMessageId(frame));
        }
        catch (Exception ex)
        {
            ClientLog.CallbackFailed(_logger, ex, nameof(WireframeClientBuilder<TFrame>.OnUnmatchedResponse), _format.GetMessageId(frame));
        }
    }

    private void Push(in TFrame frame, ReadOnlySequence<byte> raw) =>
        _pushes.Writer.TryWrite(ClientFrames.Read<TFrame, TFrame>(frame, raw, null, _codec, _format));
}
