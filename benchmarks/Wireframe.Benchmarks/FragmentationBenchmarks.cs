using System.Buffers;
using BenchmarkDotNet.Attributes;
using Wireframe.Fragmentation;
using Wireframe.Framing;
using Wireframe.Messages;

namespace Wireframe.Benchmarks;

/// <summary>
/// One 64 MiB message split into envelope frames by the outbound adapter (header + chunk encoded
/// into a reused buffer), then decoded frame by frame, its fragment headers read and the message
/// reassembled, in memory. The baseline is the least any split-and-join must do: copy the payload
/// into the output once and out of it once, in chunks of the same size.
/// </summary>
[MemoryDiagnoser]
public class FragmentationBenchmarks : IDisposable
{
    public const int MessageSize = 64 * 1024 * 1024;

    private readonly EnvelopeCodec _codec = new(new LengthDelimitedOptions { MaxFrameLength = 2 * 1024 * 1024 });
    private byte[] _payload = null!;
    private byte[] _wire = null!;
    private byte[] _joined = null!;
    private OutboundFragmenter<Envelope> _fragmenter = null!;
    private DefaultFragmentStrategy<Envelope> _strategy = null!;
    private Reassembler _reassembler = null!;
    private FixedBufferWriter _output = null!;

    [Params(16 * 1024, 64 * 1024, 1024 * 1024)]
    public int FragmentSize { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _payload = Frames.Payload(MessageSize);
        _wire = new byte[MessageSize + (MessageSize / FragmentSize * 64) + 4096];
        _joined = new byte[MessageSize];
        _output = new FixedBufferWriter(_wire);
        _strategy = new DefaultFragmentStrategy<Envelope>(FragmentSize);
        _fragmenter = new OutboundFragmenter<Envelope>(_strategy, EnvelopeFormat.Instance, _codec);
        _reassembler = new Reassembler(new ReassemblyLimits { MaxMessageSize = MessageSize, MaxBufferedBytes = MessageSize, Timeout = TimeSpan.FromHours(1) }, TimeProvider.System);
        if (FragmentAndReassemble() != MessageSize)
        {
            throw new InvalidOperationException("The message did not come back whole.");
        }
    }

    [GlobalCleanup]
    public void Dispose()
    {
        _reassembler?.Dispose();
        GC.SuppressFinalize(this);
    }

    [Benchmark(Baseline = true)]
    public long CopyInAndOut()
    {
        for (int offset = 0; offset < MessageSize; offset += FragmentSize)
        {
            int length = Math.Min(FragmentSize, MessageSize - offset);
            _payload.AsSpan(offset, length).CopyTo(_wire.AsSpan(offset));
            _wire.AsSpan(offset, length).CopyTo(_joined.AsSpan(offset));
        }

        return MessageSize;
    }

    [Benchmark]
    public long FragmentAndReassemble()
    {
        var message = new Envelope(1, 42, new ReadOnlySequence<byte>(_payload));
        _output.Reset();
        FragmentSlicer slicer = _fragmenter.StartSplit(message, out ulong key);
        while (slicer.MoveNext())
        {
            _fragmenter.EncodeFragment(message, new FragmentHeader(key, slicer.Index, slicer.IsLast), slicer.Chunk, _output);
        }

        var input = new ReadOnlySequence<byte>(_wire, 0, _output.WrittenCount);
        while (_codec.TryDecode(ref input, out Envelope frame).Status == DecodeStatus.Frame)
        {
            _strategy.DecodeHeader(frame, frame.Payload, out FragmentHeader header, out int headerLength);
            if (_reassembler.Accept(header, frame.Payload.Slice(headerLength), out ReassembledMessage whole, out _) == ReassemblyOutcome.Completed)
            {
                using (whole)
                {
                    return whole.Payload.Length;
                }
            }
        }

        throw new InvalidOperationException("The message never completed.");
    }

    /// <summary>An <see cref="IBufferWriter{T}"/> over one preallocated array, so the benchmark measures the adapter, not buffer growth.</summary>
    private sealed class FixedBufferWriter(byte[] buffer) : IBufferWriter<byte>
    {
        public int WrittenCount { get; private set; }

        public void Reset() => WrittenCount = 0;

        public void Advance(int count) => WrittenCount += count;

        public Memory<byte> GetMemory(int sizeHint = 0) => buffer.AsMemory(WrittenCount);

        public Span<byte> GetSpan(int sizeHint = 0) => buffer.AsSpan(WrittenCount);
    }
}
