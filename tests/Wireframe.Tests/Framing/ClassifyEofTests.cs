using System.Buffers;
using Wireframe.Framing;
using Wireframe.Messages;

using Wireframe.Tests.Support;

namespace Wireframe.Tests.Framing;

public sealed class ClassifyEofTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(4)]
    [InlineData(8)]
    public void Length_delimited_eof_is_clean_on_a_boundary_mid_header_inside_the_prefix_and_mid_frame_after_it(int prefixLength)
    {
        var codec = new LengthDelimitedCodec(new LengthDelimitedOptions { PrefixLength = prefixLength });

        Assert.Equal(FrameEofKind.Clean, codec.ClassifyEof(ReadOnlySequence<byte>.Empty));
        for (int length = 1; length < prefixLength; length++)
        {
            Assert.Equal(FrameEofKind.MidHeader, codec.ClassifyEof(new ReadOnlySequence<byte>(new byte[length])));
        }

        Assert.Equal(FrameEofKind.MidFrame, codec.ClassifyEof(new ReadOnlySequence<byte>(new byte[prefixLength])));
        Assert.Equal(FrameEofKind.MidFrame, codec.ClassifyEof(new ReadOnlySequence<byte>(new byte[prefixLength + 3])));
    }

    [Fact]
    public void Envelope_eof_counts_the_envelope_header_as_header()
    {
        var codec = new EnvelopeCodec();

        Assert.Equal(FrameEofKind.Clean, codec.ClassifyEof(ReadOnlySequence<byte>.Empty));
        Assert.Equal(FrameEofKind.MidHeader, codec.ClassifyEof(new ReadOnlySequence<byte>(new byte[3])));
        Assert.Equal(FrameEofKind.MidHeader, codec.ClassifyEof(new ReadOnlySequence<byte>(new byte[4 + EnvelopeCodec.HeaderSize - 1])));
        Assert.Equal(FrameEofKind.MidFrame, codec.ClassifyEof(new ReadOnlySequence<byte>(new byte[4 + EnvelopeCodec.HeaderSize])));
    }

    [Fact]
    public void Eof_classification_is_the_same_for_a_multi_segment_remainder()
    {
        var codec = new LengthDelimitedCodec(new LengthDelimitedOptions { PrefixLength = 8 });

        Assert.Equal(FrameEofKind.MidHeader, codec.ClassifyEof(Segments.Split(new byte[7], [2, 5])));
        Assert.Equal(FrameEofKind.MidFrame, codec.ClassifyEof(Segments.Split(new byte[9], [1, 8])));
    }
}
