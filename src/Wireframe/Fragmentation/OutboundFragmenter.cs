using System.Buffers;
using Wireframe.Connections;
using Wireframe.Framing;
using Wireframe.Messages;

namespace Wireframe.Fragmentation;

/// <summary>
/// The outbound half of the fragment adapter, one per connection, used only by the writer with its
/// gate held. A fragment's payload is the strategy's header joined to a slice of the message payload
/// without copying it (the codec copies both into the output once); a chunk of at most 1 KiB is
/// copied behind the header instead, which costs less than a chained payload.
/// </summary>
internal sealed class OutboundFragmenter<TFrame>
{
    private const int CopyThreshold = 1024;

    private readonly IFragmentStrategy<TFrame> _strategy;
    private readonly IEnvelopeFormat<TFrame> _format;
    private readonly IFrameCodec<TFrame> _codec;
    private readonly ChainSegment _headerSegment = new();
    private readonly ChainSegment _chunkSegment = new();
    private PooledBufferWriter? _header;
    private ulong _lastKey;

    public OutboundFragmenter(IFragmentStrategy<TFrame> strategy, IEnvelopeFormat<TFrame> format, IFrameCodec<TFrame> codec)
    {
        _strategy = strategy;
        _format = format;
        _codec = codec;
    }

    /// <summary>Returns the header buffer to the pool (the connection's writer completed).</summary>
    public void Release()
    {
        _header?.Dispose();
        _header = null;
    }

    /// <summary>Gets a value indicating whether high-priority pushes may go between the fragments of another message.</summary>
    public bool AllowsInterleaving => _strategy.AllowsInterleaving;

    /// <summary>
    /// Encodes a frame that leaves in one piece: one the strategy does not fragment, as it is, or one
    /// that fits in a fragment, with its header. Returns <see langword="false"/>, with nothing written,
    /// for a frame that must be split.
    /// </summary>
    public bool TryEncodeWhole(in TFrame frame, IBufferWriter<byte> output)
    {
        if (!_strategy.ShouldFragment(frame))
        {
            _codec.Encode(frame, output);
            return true;
        }

        ReadOnlySequence<byte> payload = _format.GetPayload(frame);
        if (payload.Length > Cap(frame))
        {
            return false;
        }

        EncodeFragment(frame, new FragmentHeader(0, 0, isLast: true), payload, output);
        return true;
    }

    /// <summary>Starts splitting a frame: the slicer walks its payload, and the key names the message on the wire.</summary>
    public FragmentSlicer StartSplit(in TFrame frame, out ulong messageKey)
    {
        messageKey = ++_lastKey;
        return new FragmentSlicer(_format.GetPayload(frame), Cap(frame));
    }

    /// <summary>Encodes one fragment: the strategy's header, then <paramref name="chunk"/>, in a frame built like <paramref name="frame"/>.</summary>
    public void EncodeFragment(in TFrame frame, in FragmentHeader header, ReadOnlySequence<byte> chunk, IBufferWriter<byte> output)
    {
        PooledBufferWriter headerBytes = _header ??= new PooledBufferWriter(32);
        headerBytes.Reset();
        _strategy.EncodeHeader(frame, header, checked((int)chunk.Length), headerBytes);
        ReadOnlySequence<byte> fragmentPayload;
        if (chunk.Length <= CopyThreshold)
        {
            // Small chunks (most whole messages) are cheaper copied behind the header than chained:
            // the codec's single-block path then takes one contiguous payload.
            headerBytes.Write(chunk);
            fragmentPayload = new ReadOnlySequence<byte>(headerBytes.WrittenMemory);
        }
        else if (chunk.IsSingleSegment)
        {
            _chunkSegment.Set(chunk.First, null, headerBytes.WrittenCount);
            _headerSegment.Set(headerBytes.WrittenMemory, _chunkSegment, 0);
            fragmentPayload = new ReadOnlySequence<byte>(_headerSegment, 0, _chunkSegment, _chunkSegment.Memory.Length);
        }
        else
        {
            // A large chunk in several blocks (rare: messages are serialized into one) is copied behind the header.
            headerBytes.Write(chunk);
            fragmentPayload = new ReadOnlySequence<byte>(headerBytes.WrittenMemory);
        }

        _codec.Encode(_format.WithPayload(frame, fragmentPayload), output);
        if (!fragmentPayload.IsSingleSegment)
        {
            // The links point into the caller's payload; drop them so they keep nothing alive.
            _chunkSegment.Set(default, null, 0);
            _headerSegment.Set(default, null, 0);
        }
    }

    private int Cap(in TFrame frame)
    {
        int cap = _strategy.GetMaxFragmentPayload(frame);
        if (cap <= 0)
        {
            throw new InvalidOperationException($"{_strategy.GetType().Name}.{nameof(IFragmentStrategy<TFrame>.GetMaxFragmentPayload)} returned {cap}; the fragment payload cap must be positive.");
        }

        return cap;
    }
}
