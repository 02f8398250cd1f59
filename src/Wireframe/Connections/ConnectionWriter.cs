using System.Buffers;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using Wireframe.Diagnostics;
using Wireframe.Framing;
using Wireframe.Messages;
using Wireframe.Serialization;

namespace Wireframe.Connections;

/// <summary>
/// The only code that writes to a connection's transport. Every outbound frame of the connection,
/// from any task, is encoded here under one gate; frames are batched and flushed once per batch,
/// and an awaited flush (with the gate held) is the backpressure every writer feels.
/// </summary>
/// <remarks>
/// The uncontended path takes the gate without waiting, encodes straight into the transport's
/// buffer and returns a completed <see cref="ValueTask"/>: no allocation, no thread hop.
/// A contended writer waits for the gate (first come, first served); callers keep the frame's
/// memory valid until the returned task completes. Cancellation applies before the gate is entered
/// and to the flush.
/// </remarks>
internal sealed class ConnectionWriter<TFrame>
{
    private readonly WriterGate _gate = new();
    private readonly PipeWriter _output;
    private readonly IFrameCodec<TFrame> _codec;
    private readonly IEnvelopeFormat<TFrame> _format;
    private readonly WireframeMetrics _metrics;
    private readonly int _maxUnflushedBytes;
    private readonly bool _canMeasureUnflushed;
    private long _unflushedFrames;
    private bool _hasUnflushedBytes;
    private bool _completed;

    public ConnectionWriter(PipeWriter output, IFrameCodec<TFrame> codec, IEnvelopeFormat<TFrame> format, WireframeMetrics metrics, int maxUnflushedBytes)
    {
        _output = output;
        _codec = codec;
        _format = format;
        _metrics = metrics;
        _maxUnflushedBytes = maxUnflushedBytes;
        _canMeasureUnflushed = output.CanGetUnflushedBytes;
    }

    /// <summary>Gets a value indicating whether the writer no longer accepts frames.</summary>
    public bool IsCompleted => Volatile.Read(ref _completed);

    /// <summary>Encodes a frame into the batch. Returns <see langword="false"/> when the connection is closed.</summary>
    public ValueTask<bool> WriteAsync(TFrame frame, CancellationToken cancellationToken = default)
    {
        if (!_gate.TryEnter())
        {
            return WriteContendedAsync(frame, cancellationToken);
        }

        if (_completed)
        {
            _gate.Exit();
            return new ValueTask<bool>(false);
        }

        try
        {
            EncodeHeld(frame);
        }
        catch
        {
            _gate.Exit();
            throw;
        }

        return ReleaseOrFlushAsync(cancellationToken);
    }

    /// <summary>Serializes a message, wraps it in a frame and encodes it into the batch.</summary>
    public ValueTask<bool> WriteMessageAsync<T>(uint messageId, ulong? correlationId, T message, IMessageFormatter<T> formatter, CancellationToken cancellationToken = default)
    {
        if (formatter is IPayloadPassthrough<T> passthrough)
        {
            return WriteAsync(_format.CreateFrame(messageId, correlationId, passthrough.AsPayload(message)), cancellationToken);
        }

        if (!_gate.TryEnter())
        {
            return WriteMessageContendedAsync(messageId, correlationId, message, formatter, cancellationToken);
        }

        if (_completed)
        {
            _gate.Exit();
            return new ValueTask<bool>(false);
        }

        // The thread's scratch buffer is safe here: serialization and encoding finish before this
        // method can yield.
        PooledBufferWriter scratch = PooledBufferWriter.RentScratch();
        try
        {
            formatter.Serialize(message, scratch);
            EncodeHeld(_format.CreateFrame(messageId, correlationId, new ReadOnlySequence<byte>(scratch.WrittenMemory)));
        }
        catch
        {
            _gate.Exit();
            throw;
        }
        finally
        {
            PooledBufferWriter.ReturnScratch(scratch);
        }

        return ReleaseOrFlushAsync(cancellationToken);
    }

    /// <summary>Writes bytes that bypass the codec, for preamble replies and other pre-framing traffic.</summary>
    public async ValueTask<bool> WriteRawAsync(ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        await _gate.EnterAsync().ConfigureAwait(false);
        if (_completed)
        {
            _gate.Exit();
            return false;
        }

        _output.Write(bytes.Span);
        _hasUnflushedBytes = true;
        return await ReleaseOrFlushAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Flushes the batch, waiting while the peer is slower than the server.</summary>
    public ValueTask<bool> FlushAsync(CancellationToken cancellationToken = default)
    {
        if (!_gate.TryEnter())
        {
            return FlushContendedAsync(cancellationToken);
        }

        if (!_hasUnflushedBytes || _completed)
        {
            bool open = !_completed;
            _gate.Exit();
            return new ValueTask<bool>(open);
        }

        return FlushHeldAsync(cancellationToken);
    }

    /// <summary>Flushes what is buffered and completes the output. Later writes return <see langword="false"/>.</summary>
    public async ValueTask CompleteAsync(Exception? error = null)
    {
        await _gate.EnterAsync().ConfigureAwait(false);
        try
        {
            if (_completed)
            {
                return;
            }

            _completed = true;
            if (_hasUnflushedBytes && error is null)
            {
                _metrics.FramesSent(_unflushedFrames);
                _unflushedFrames = 0;
                _hasUnflushedBytes = false;
                try
                {
                    await _output.FlushAsync().ConfigureAwait(false);
                }
                catch (Exception ex) when (TransportErrors.IsTransportError(ex))
                {
                    // The peer is gone; there is nobody to deliver the last batch to.
                }
            }

            await _output.CompleteAsync(error).ConfigureAwait(false);
        }
        finally
        {
            _gate.Exit();
        }
    }

    /// <summary>Stops the writer at once: a pending flush is cancelled so a slow reader cannot wedge shutdown.</summary>
    public void Abort()
    {
        Volatile.Write(ref _completed, true);
        _output.CancelPendingFlush();
    }

    private void EncodeHeld(in TFrame frame)
    {
        _codec.Encode(frame, _output);
        _unflushedFrames++;
        _hasUnflushedBytes = true;
    }

    private ValueTask<bool> ReleaseOrFlushAsync(CancellationToken cancellationToken)
    {
        if (!_canMeasureUnflushed || _output.UnflushedBytes < _maxUnflushedBytes)
        {
            _gate.Exit();
            return new ValueTask<bool>(true);
        }

        return FlushHeldAsync(cancellationToken);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<bool> FlushHeldAsync(CancellationToken cancellationToken)
    {
        try
        {
            _metrics.FramesSent(_unflushedFrames);
            _unflushedFrames = 0;
            _hasUnflushedBytes = false;
            FlushResult result = await _output.FlushAsync(cancellationToken).ConfigureAwait(false);
            return !(result.IsCompleted || result.IsCanceled || _completed);
        }
        finally
        {
            _gate.Exit();
        }
    }

    private async ValueTask<bool> WriteContendedAsync(TFrame frame, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        await _gate.EnterAsync().ConfigureAwait(false);
        if (_completed)
        {
            _gate.Exit();
            return false;
        }

        try
        {
            EncodeHeld(frame);
        }
        catch
        {
            _gate.Exit();
            throw;
        }

        return await ReleaseOrFlushAsync(cancellationToken).ConfigureAwait(false);
    }

    private async ValueTask<bool> WriteMessageContendedAsync<T>(uint messageId, ulong? correlationId, T message, IMessageFormatter<T> formatter, CancellationToken cancellationToken)
    {
        // Serialize before waiting, into a buffer this call owns until the frame is encoded.
        using var owned = new PooledBufferWriter();
        formatter.Serialize(message, owned);
        TFrame frame = _format.CreateFrame(messageId, correlationId, new ReadOnlySequence<byte>(owned.WrittenMemory));
        return await WriteContendedAsync(frame, cancellationToken).ConfigureAwait(false);
    }

    private async ValueTask<bool> FlushContendedAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        await _gate.EnterAsync().ConfigureAwait(false);
        if (!_hasUnflushedBytes || _completed)
        {
            bool open = !_completed;
            _gate.Exit();
            return open;
        }

        return await FlushHeldAsync(cancellationToken).ConfigureAwait(false);
    }
}
