using Wireframe.Framing;
using Wireframe.Messages;

namespace Wireframe.Tests.Framing;

public sealed class LengthDelimitedOptionsTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    [InlineData(5)]
    [InlineData(16)]
    public void A_prefix_length_other_than_1_2_4_or_8_is_rejected_naming_the_option(int prefixLength)
    {
        var options = new LengthDelimitedOptions { PrefixLength = prefixLength };

        var ex = Assert.Throws<ArgumentOutOfRangeException>(options.Validate);
        Assert.Contains("LengthDelimitedOptions.PrefixLength", ex.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => new LengthDelimitedCodec(options));
        Assert.Throws<ArgumentOutOfRangeException>(() => new EnvelopeCodec(options));
        Assert.Throws<ArgumentOutOfRangeException>(() => WireframeApp.CreateBuilder(options));
    }

    [Fact]
    public void A_negative_maximum_is_rejected_naming_the_option()
    {
        var options = new LengthDelimitedOptions { MaxFrameLength = -1 };

        var ex = Assert.Throws<ArgumentOutOfRangeException>(options.Validate);
        Assert.Contains("LengthDelimitedOptions.MaxFrameLength", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Defaults_are_a_4_byte_big_endian_prefix_and_a_1_MiB_maximum()
    {
        var options = new LengthDelimitedOptions();
        options.Validate();

        Assert.Equal(4, options.PrefixLength);
        Assert.Equal(ByteOrder.BigEndian, options.ByteOrder);
        Assert.False(options.LengthIncludesPrefix);
        Assert.Equal(0, options.LengthAdjustment);
        Assert.Equal(1024 * 1024, new LengthDelimitedCodec().MaxFrameLength);
        Assert.Equal(1024 * 1024, new EnvelopeCodec().MaxFrameLength);
    }

    [Fact]
    public void A_codec_keeps_the_options_it_was_built_with_when_they_change_later()
    {
        var options = new LengthDelimitedOptions { MaxFrameLength = 10 };
        var codec = new LengthDelimitedCodec(options);

        options.MaxFrameLength = 1000;

        Assert.Equal(10, codec.MaxFrameLength);
    }
}
