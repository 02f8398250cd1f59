using System.Buffers;
using Wireframe.Framing;
using Wireframe.Messages;
using Wireframe.Tests.Support;

namespace Wireframe.Tests.Framing;

public sealed class EnvelopeHeaderValidationTests
{
    private static readonly EnvelopeCodec Codec = new();

    [Fact]
    public void Reserved_flag_bits_are_rejected_as_soon_as_the_header_arrives_not_after_the_whole_body()
    {
        // A 1,000-byte body of which only the 5-byte header has arrived.
        byte[] partial = [0x00, 0x00, 0x03, 0xE8, 0x00, 0x00, 0x00, 0x01, 0x80];
        var input = new ReadOnlySequence<byte>(partial);

        DecodeResult result = Codec.TryDecode(ref input, out _);

        Assert.Equal(DecodeStatus.Error, result.Status);
        Assert.Equal(FrameErrorKind.Malformed, result.Error);
        Assert.Equal(4 + 1000, result.SkipBytes);
        Assert.Equal(partial.Length, input.Length);
    }

    [Fact]
    public void A_correlated_header_longer_than_its_body_is_rejected_before_the_body_arrives()
    {
        // Body length 8 claims a correlation id, which needs a 13-byte header.
        byte[] partial = [0x00, 0x00, 0x00, 0x08, 0x00, 0x00, 0x00, 0x01, 0x01];
        var input = new ReadOnlySequence<byte>(partial);

        DecodeResult result = Codec.TryDecode(ref input, out _);

        Assert.Equal(FrameErrorKind.Malformed, result.Error);
        Assert.Equal(12, result.SkipBytes);
    }

    [Fact]
    public void A_header_split_across_segments_still_decodes()
    {
        byte[] frame = [0x00, 0x00, 0x00, 0x0F, 0x00, 0x00, 0x00, 0x07, 0x01, 0, 0, 0, 0, 0, 0, 0, 9, 0xAA, 0xBB];
        for (int split = 1; split < frame.Length; split++)
        {
            ReadOnlySequence<byte> input = Segments.At(frame, split);

            DecodeResult result = Codec.TryDecode(ref input, out Envelope envelope);

            Assert.Equal(DecodeStatus.Frame, result.Status);
            Assert.Equal(7u, envelope.MessageId);
            Assert.Equal(9UL, envelope.CorrelationId);
            Assert.Equal(new byte[] { 0xAA, 0xBB }, envelope.Payload.ToArray());
            Assert.True(input.IsEmpty);
        }
    }

    [Fact]
    public void Input_ending_inside_the_correlation_id_is_mid_header()
    {
        byte[] partial = [0x00, 0x00, 0x00, 0x0F, 0x00, 0x00, 0x00, 0x07, 0x01, 0, 0, 0];

        Assert.Equal(FrameEofKind.MidHeader, Codec.ClassifyEof(new ReadOnlySequence<byte>(partial)));
        Assert.Equal(FrameEofKind.MidFrame, Codec.ClassifyEof(new ReadOnlySequence<byte>([0x00, 0x00, 0x00, 0x0F, 0x00, 0x00, 0x00, 0x07, 0x00, 1])));
    }
}
