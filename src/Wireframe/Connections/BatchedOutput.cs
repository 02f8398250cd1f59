using System.Buffers;
using System.IO.Pipelines;
using System.Runtime.InteropServices;

namespace Wireframe.Connections;

/// <summary>
/// The connection writer's view of the transport's output: frames are encoded into memory taken
/// from the pipe once and advanced into it in one step per batch rather than one per frame.
/// </summary>
/// <remarks>
/// <see cref="Pipe"/>'s writer takes the pipe's lock on every <see cref="PipeWriter.Advance"/>, the
/// same lock the transport's send loop takes to consume what was flushed; once the two ever meet,
/// the runtime inflates it and every later acquisition pays a call into the runtime. Holding the
/// pipe's memory across frames turns a batch's N acquisitions into one or two. Only the connection
/// writer uses this, under its gate, so no synchronisation is needed here; everything written must
/// be committed (<see cref="CommitForFlush"/>) before the pipe is flushed.
/// </remarks>
internal sealed class BatchedOutput : IBufferWriter<byte>
{
    private readonly PipeWriter _pipe;
    private Memory<byte> _memory;

    // The array behind _memory when it has one (the usual pools' blocks do): spans come straight
    // from it, without Memory<T>.Span's checks of what backs the memory.
    private byte[]? _array;
    private int _arrayOffset;
    private int _written;
    private long _committed;

    public BatchedOutput(PipeWriter pipe)
    {
        _pipe = pipe;
    }

    /// <summary>
    /// Gets the bytes written since the last <see cref="CommitForFlush"/>: counted here, so the
    /// unflushed limit needs no call into the pipe per frame and works with any <see cref="PipeWriter"/>.
    /// </summary>
    public long Unflushed => _committed + _written;

    /// <inheritdoc />
    public void Advance(int count)
    {
        if ((uint)count > (uint)(_memory.Length - _written))
        {
            throw new ArgumentOutOfRangeException(nameof(count), count, "Advanced past the end of the buffer returned by GetMemory or GetSpan.");
        }

        _written += count;
    }

    /// <inheritdoc />
    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        EnsureRoom(sizeHint);
        return _memory[_written..];
    }

    /// <inheritdoc />
    public Span<byte> GetSpan(int sizeHint = 0)
    {
        EnsureRoom(sizeHint);
        return _array is { } array
            ? new Span<byte>(array, _arrayOffset + _written, _memory.Length - _written)
            : _memory.Span[_written..];
    }

    /// <summary>Hands everything written to the pipe, which is about to be flushed.</summary>
    public void CommitForFlush()
    {
        Commit();
        _committed = 0;
    }

    /// <summary>Hands what was written to the pipe; the memory held so far is given back with it.</summary>
    private void Commit()
    {
        if (_written > 0)
        {
            _pipe.Advance(_written);
            _committed += _written;
            _written = 0;
        }

        _memory = default;
        _array = null;
    }

    private void EnsureRoom(int sizeHint)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(sizeHint);
        if (_memory.Length - _written < Math.Max(sizeHint, 1))
        {
            Renew(sizeHint);
        }
    }

    private void Renew(int sizeHint)
    {
        Commit();
        _memory = _pipe.GetMemory(sizeHint);
        if (MemoryMarshal.TryGetArray((ReadOnlyMemory<byte>)_memory, out ArraySegment<byte> segment))
        {
            _array = segment.Array;
            _arrayOffset = segment.Offset;
        }
    }

    /// <summary>
    /// This batch as a struct writer: code generic over the writer type (the built-in codecs) is
    /// compiled for it with direct, inlinable calls instead of an interface call per span.
    /// </summary>
    internal readonly struct Direct : IBufferWriter<byte>
    {
        private readonly BatchedOutput _output;

        public Direct(BatchedOutput output)
        {
            _output = output;
        }

        /// <inheritdoc />
        public void Advance(int count) => _output.Advance(count);

        /// <inheritdoc />
        public Memory<byte> GetMemory(int sizeHint = 0) => _output.GetMemory(sizeHint);

        /// <inheritdoc />
        public Span<byte> GetSpan(int sizeHint = 0) => _output.GetSpan(sizeHint);
    }
}
