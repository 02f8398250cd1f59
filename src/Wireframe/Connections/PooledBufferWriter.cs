using System.Buffers;

namespace Wireframe.Connections;

/// <summary>
/// A growable buffer over an array rented from <see cref="ArrayPool{T}.Shared"/>. Ownership: the
/// creator owns it and must call <see cref="Dispose"/> exactly once, after which no view of it may be used.
/// </summary>
internal sealed class PooledBufferWriter : IBufferWriter<byte>, IDisposable
{
    private const int RetainLimit = 256 * 1024;

    [ThreadStatic]
    private static PooledBufferWriter? t_scratch;

    private byte[] _buffer;
    private int _written;

    public PooledBufferWriter(int initialCapacity = 256)
    {
        _buffer = ArrayPool<byte>.Shared.Rent(initialCapacity);
    }

    public int WrittenCount => _written;

    public ReadOnlyMemory<byte> WrittenMemory => _buffer.AsMemory(0, _written);

    /// <summary>
    /// Takes this thread's scratch writer (or a new one). Only for work that finishes before the
    /// thread can run anything else: return it with <see cref="ReturnScratch"/> before any await.
    /// </summary>
    public static PooledBufferWriter RentScratch()
    {
        PooledBufferWriter? scratch = t_scratch;
        if (scratch is null)
        {
            return new PooledBufferWriter();
        }

        t_scratch = null;
        return scratch;
    }

    public static void ReturnScratch(PooledBufferWriter scratch)
    {
        if (scratch._buffer.Length > RetainLimit)
        {
            // Don't let one huge message pin a large array to a thread forever.
            scratch.Dispose();
            return;
        }

        scratch._written = 0;
        t_scratch = scratch;
    }

    /// <summary>Appends bytes.</summary>
    public void Write(ReadOnlySpan<byte> bytes)
    {
        Ensure(bytes.Length);
        bytes.CopyTo(_buffer.AsSpan(_written));
        _written += bytes.Length;
    }

    /// <summary>Appends a sequence's bytes.</summary>
    public void Write(in ReadOnlySequence<byte> bytes)
    {
        if (bytes.IsSingleSegment)
        {
            Write(bytes.FirstSpan);
            return;
        }

        foreach (ReadOnlyMemory<byte> segment in bytes)
        {
            Write(segment.Span);
        }
    }

    /// <summary>Forgets what was written, keeping the buffer.</summary>
    public void Reset() => _written = 0;

    /// <summary>Forgets what was written; a buffer grown past <paramref name="retainLimit"/> goes back to the pool for a fresh one of <paramref name="initialCapacity"/>, so one burst does not hold a large array for good.</summary>
    public void Reset(int retainLimit, int initialCapacity)
    {
        _written = 0;
        if (_buffer.Length > retainLimit)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = ArrayPool<byte>.Shared.Rent(initialCapacity);
        }
    }

    /// <summary>Drops what was written after the first <paramref name="count"/> bytes (a write that failed half way).</summary>
    public void Truncate(int count) => _written = Math.Min(_written, count);

    public void Advance(int count)
    {
        if ((uint)count > (uint)(_buffer.Length - _written))
        {
            throw new ArgumentOutOfRangeException(nameof(count));
        }

        _written += count;
    }

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _buffer.AsMemory(_written);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _buffer.AsSpan(_written);
    }

    public void Dispose()
    {
        byte[] buffer = _buffer;
        _buffer = [];
        _written = 0;
        if (buffer.Length != 0)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private void Ensure(int sizeHint)
    {
        if (sizeHint < 1)
        {
            sizeHint = 1;
        }

        if (_buffer.Length - _written >= sizeHint)
        {
            return;
        }

        int needed = checked(_written + sizeHint);
        int size = Math.Max(needed, Math.Max(256, _buffer.Length * 2));
        byte[] bigger = ArrayPool<byte>.Shared.Rent(size);
        _buffer.AsSpan(0, _written).CopyTo(bigger);
        if (_buffer.Length != 0)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
        }

        _buffer = bigger;
    }
}
