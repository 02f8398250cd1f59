using System.Buffers;
using BenchmarkDotNet.Attributes;
using Wireframe.Framing;
using Wireframe.Messages;

namespace Wireframe.Benchmarks;

/// <summary>
/// Decoding a buffer of <see cref="FramesPerOp"/> frames, reported per frame. The frames are
/// consumed exactly as the connection's read loop consumes them: decode, advance, repeat.
/// </summary>
[MemoryDiagnoser]
public class CodecDecodeBenchmarks
{
    public const int FramesPerOp = 64;

    private readonly LengthDelimitedCodec _lengthDelimited = new();
    private readonly EnvelopeCodec _envelope = new();
    private ReadOnlySequence<byte> _lengthDelimitedInput;
    private ReadOnlySequence<byte> _envelopeInput;

    [Params(16, 128, 4096)]
    public int PayloadSize { get; set; }

    [Params(SegmentLayout.Contiguous, SegmentLayout.SplitFrames)]
    public SegmentLayout Layout { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        byte[] payload = Frames.Payload(PayloadSize);
        byte[] lengthDelimited = Frames.LengthDelimited(FramesPerOp, payload);
        byte[] envelopes = Frames.Envelopes(FramesPerOp, 1, payload);
        _lengthDelimitedInput = Layout == SegmentLayout.Contiguous ? new ReadOnlySequence<byte>(lengthDelimited) : Frames.SplitEveryFrame(lengthDelimited);
        _envelopeInput = Layout == SegmentLayout.Contiguous ? new ReadOnlySequence<byte>(envelopes) : Frames.SplitEveryFrame(envelopes);

        Check(LengthDelimited(), "LengthDelimited");
        Check(Envelope(), "Envelope");
        void Check(long total, string codec)
        {
            if (total != (long)FramesPerOp * PayloadSize)
            {
                throw new InvalidOperationException($"{codec} decoded {total} payload bytes, expected {FramesPerOp * PayloadSize}.");
            }
        }
    }

    [Benchmark(OperationsPerInvoke = FramesPerOp)]
    public long LengthDelimited()
    {
        ReadOnlySequence<byte> input = _lengthDelimitedInput;
        long payloadBytes = 0;
        while (_lengthDelimited.TryDecode(ref input, out ReadOnlySequence<byte> frame).Status == DecodeStatus.Frame)
        {
            payloadBytes += frame.Length;
        }

        return payloadBytes;
    }

    [Benchmark(OperationsPerInvoke = FramesPerOp)]
    public long Envelope()
    {
        ReadOnlySequence<byte> input = _envelopeInput;
        long payloadBytes = 0;
        while (_envelope.TryDecode(ref input, out Envelope frame).Status == DecodeStatus.Frame)
        {
            payloadBytes += frame.Payload.Length;
        }

        return payloadBytes;
    }
}
