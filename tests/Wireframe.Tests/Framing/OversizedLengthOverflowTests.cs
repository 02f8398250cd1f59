using System.Buffers;
using System.Buffers.Binary;
using Wireframe.Framing;

namespace Wireframe.Tests.Framing;

/// <summary>Regression: with an 8-byte prefix, prefix + declared + adjustment used to overflow a long.</summary>
public sealed class OversizedLengthOverflowTests
{
    [Theory]
    [InlineData(long.MaxValue, 0)]
    [InlineData(long.MaxValue - 3, 0)]
    [InlineData(long.MaxValue, 5)]
    [InlineData(ulong.MaxValue, 0)]
    public void A_declared_length_whose_frame_size_does_not_fit_a_long_is_oversized_and_cannot_be_skipped(ulong declared, int adjustment)
    {
        var codec = new LengthDelimitedCodec(new LengthDelimitedOptions { PrefixLength = 8, LengthAdjustment = adjustment });
        byte[] prefix = new byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(prefix, declared);
        var input = new ReadOnlySequence<byte>(prefix);

        DecodeResult result = codec.TryDecode(ref input, out _);

        Assert.Equal(FrameErrorKind.Oversized, result.Error);
        Assert.Equal(DecodeResult.CannotResynchronize, result.SkipBytes);
        Assert.Contains("LengthDelimitedOptions.MaxFrameLength", result.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_huge_but_representable_frame_size_is_skippable()
    {
        var codec = new LengthDelimitedCodec(new LengthDelimitedOptions { PrefixLength = 8 });
        byte[] prefix = new byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(prefix, long.MaxValue - 8);
        var input = new ReadOnlySequence<byte>(prefix);

        DecodeResult result = codec.TryDecode(ref input, out _);

        Assert.Equal(FrameErrorKind.Oversized, result.Error);
        Assert.Equal(long.MaxValue, result.SkipBytes);
    }
}
