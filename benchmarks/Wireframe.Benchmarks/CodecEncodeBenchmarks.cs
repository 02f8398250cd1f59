using System.Buffers;
using BenchmarkDotNet.Attributes;
using Wireframe.Framing;
using Wireframe.Messages;

namespace Wireframe.Benchmarks;

/// <summary>
/// Encoding <see cref="FramesPerOp"/> frames into a reused buffer writer (reset, not reallocated,
/// each op), reported per frame. Envelopes carry a correlation id, as responses do.
/// </summary>
[MemoryDiagnoser]
public class CodecEncodeBenchmarks
{
    public const int FramesPerOp = 64;

    private readonly LengthDelimitedCodec _lengthDelimited = new();
    private readonly EnvelopeCodec _envelope = new();
    private ArrayBufferWriter<byte> _output = null!;
    private ReadOnlySequence<byte> _payload;

    [Params(16, 128, 4096)]
    public int PayloadSize { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _payload = new ReadOnlySequence<byte>(Frames.Payload(PayloadSize));
        _output = new ArrayBufferWriter<byte>(FramesPerOp * (PayloadSize + EnvelopeCodec.CorrelatedHeaderSize + 4));

        // The encoders must produce exactly what the decoders accept.
        LengthDelimited();
        if (!_output.WrittenSpan.SequenceEqual(Frames.LengthDelimited(FramesPerOp, Frames.Payload(PayloadSize))))
        {
            throw new InvalidOperationException("LengthDelimited encoding differs from the reference frames.");
        }

        Envelope();
        var input = new ReadOnlySequence<byte>(_output.WrittenMemory);
        int frames = 0;
        while (_envelope.TryDecode(ref input, out Envelope frame).Status == DecodeStatus.Frame && frame.Payload.Length == PayloadSize)
        {
            frames++;
        }

        if (frames != FramesPerOp || !input.IsEmpty)
        {
            throw new InvalidOperationException($"Envelope encoding decoded to {frames} frames.");
        }
    }

    [Benchmark(OperationsPerInvoke = FramesPerOp)]
    public int LengthDelimited()
    {
        ArrayBufferWriter<byte> output = _output;
        output.ResetWrittenCount();
        for (int i = 0; i < FramesPerOp; i++)
        {
            _lengthDelimited.Encode(_payload, output);
        }

        return output.WrittenCount;
    }

    [Benchmark(OperationsPerInvoke = FramesPerOp)]
    public int Envelope()
    {
        ArrayBufferWriter<byte> output = _output;
        output.ResetWrittenCount();
        for (int i = 0; i < FramesPerOp; i++)
        {
            _envelope.Encode(new Envelope(1, (ulong)i, _payload), output);
        }

        return output.WrittenCount;
    }
}
