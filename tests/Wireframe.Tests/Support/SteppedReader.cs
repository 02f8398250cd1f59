using System.Buffers;
using System.IO.Pipelines;

namespace Wireframe.Tests.Support;

/// <summary>Hands out a fixed sequence (its own segments) a read at a time: each read reveals bytes up to the next read cut.</summary>
internal sealed class SteppedReader : PipeReader
{
    private readonly ReadOnlySequence<byte> _all;
    private readonly long[] _ends;
    private SequencePosition _consumed;
    private int _step;

    public SteppedReader(ReadOnlySequence<byte> all, int[] cuts)
    {
        _all = all;
        _consumed = all.Start;
        long length = all.Length;
        _ends = [.. cuts.Select(c => length == 0 ? 0 : Math.Abs((long)c % (length + 1))).Where(c => c > 0 && c < length).Distinct().Order(), length];
    }

    public override void AdvanceTo(SequencePosition consumed) => _consumed = consumed;

    public override void AdvanceTo(SequencePosition consumed, SequencePosition examined) => _consumed = consumed;

    public override void CancelPendingRead()
    {
    }

    public override void Complete(Exception? exception = null)
    {
    }

    public override ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default)
    {
        TryRead(out ReadResult result);
        return new ValueTask<ReadResult>(result);
    }

    public override bool TryRead(out ReadResult result)
    {
        long end = _ends[Math.Min(_step, _ends.Length - 1)];
        _step++;
        ReadOnlySequence<byte> visible = _all.Slice(_consumed, _all.GetPosition(end));
        result = new ReadResult(visible, isCanceled: false, isCompleted: end == _all.Length);
        return true;
    }
}
