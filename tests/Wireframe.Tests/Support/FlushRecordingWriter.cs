using System.IO.Pipelines;

namespace Wireframe.Tests.Support;

/// <summary>
/// A transport writer that records how many bytes each flush carried, may hide its unflushed count
/// (as a writer that cannot report it would), and can hold one flush until the test releases it.
/// </summary>
/// <param name="inner">The transport's own writer.</param>
/// <param name="reportsUnflushedBytes">Whether <see cref="PipeWriter.CanGetUnflushedBytes"/> is true.</param>
internal sealed class FlushRecordingWriter(PipeWriter inner, bool reportsUnflushedBytes = true) : PipeWriter
{
    private readonly Lock _lock = new();
    private readonly List<long> _flushes = [];
    private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TaskCompletionSource? _holdNext;
    private long _advanced;

    /// <summary>Gets the bytes each flush so far carried, in order.</summary>
    public long[] Flushes
    {
        get
        {
            lock (_lock)
            {
                return [.. _flushes];
            }
        }
    }

    public override bool CanGetUnflushedBytes => reportsUnflushedBytes;

    public override long UnflushedBytes => reportsUnflushedBytes ? _advanced : throw new NotSupportedException();

    /// <summary>Makes the next flush wait for <see cref="Release"/>; the task completes when that flush starts.</summary>
    public Task HoldNextFlush()
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Volatile.Write(ref _holdNext, started);
        return started.Task;
    }

    /// <summary>Lets a held flush go on.</summary>
    public void Release() => _release.TrySetResult();

    public override void Advance(int bytes)
    {
        _advanced += bytes;
        inner.Advance(bytes);
    }

    public override Memory<byte> GetMemory(int sizeHint = 0) => inner.GetMemory(sizeHint);

    public override Span<byte> GetSpan(int sizeHint = 0) => inner.GetSpan(sizeHint);

    public override void CancelPendingFlush() => inner.CancelPendingFlush();

    public override void Complete(Exception? exception = null) => inner.Complete(exception);

    public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            _flushes.Add(_advanced);
            _advanced = 0;
        }

        if (Interlocked.Exchange(ref _holdNext, null) is not { } started)
        {
            return inner.FlushAsync(cancellationToken);
        }

        started.TrySetResult();
        return HeldAsync(cancellationToken);
    }

    private async ValueTask<FlushResult> HeldAsync(CancellationToken cancellationToken)
    {
        await _release.Task.ConfigureAwait(false);
        return await inner.FlushAsync(cancellationToken).ConfigureAwait(false);
    }
}
