using System.Buffers;
using Wireframe.Framing;
using Wireframe.Messages;

using Wireframe.Tests.Support;

namespace Wireframe.Tests.Framing;

public sealed class EncodeLimitTests
{
    [Fact]
    public void Encoding_a_payload_above_the_maximum_throws_naming_the_option_and_writes_nothing()
    {
        var codec = new LengthDelimitedCodec(new LengthDelimitedOptions { MaxFrameLength = 16 });
        var output = new ArrayBufferWriter<byte>();

        codec.Encode(new ReadOnlySequence<byte>(new byte[16]), output);
        int written = output.WrittenCount;
        var ex = Assert.Throws<InvalidOperationException>(() => codec.Encode(new ReadOnlySequence<byte>(new byte[17]), output));

        Assert.Contains("LengthDelimitedOptions.MaxFrameLength", ex.Message, StringComparison.Ordinal);
        Assert.Contains("17", ex.Message, StringComparison.Ordinal);
        Assert.Equal(written, output.WrittenCount);
    }

    [Fact]
    public void Encoding_an_envelope_whose_body_is_above_the_maximum_throws_naming_the_option()
    {
        // The maximum bounds the body: header (13 with a correlation id) plus payload.
        var codec = new EnvelopeCodec(new LengthDelimitedOptions { MaxFrameLength = 20 });
        var output = new ArrayBufferWriter<byte>();

        codec.Encode(new Envelope(1, 5, new byte[7].AsMemory()), output);
        var ex = Assert.Throws<InvalidOperationException>(() => codec.Encode(new Envelope(1, 5, new byte[8].AsMemory()), output));

        Assert.Contains("LengthDelimitedOptions.MaxFrameLength", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Encoding_a_payload_the_prefix_cannot_declare_throws_instead_of_truncating_the_length()
    {
        var codec = new LengthDelimitedCodec(new LengthDelimitedOptions { PrefixLength = 1, MaxFrameLength = 1000 });
        var output = new ArrayBufferWriter<byte>();

        codec.Encode(new ReadOnlySequence<byte>(new byte[255]), output);
        var ex = Assert.Throws<InvalidOperationException>(() => codec.Encode(new ReadOnlySequence<byte>(new byte[256]), output));

        Assert.Contains("1-byte prefix", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Encoding_a_multi_segment_payload_writes_the_same_bytes_as_a_single_segment_one()
    {
        var codec = new LengthDelimitedCodec();
        byte[] payload = Enumerable.Range(0, 10_000).Select(i => (byte)i).ToArray();
        var single = new ArrayBufferWriter<byte>();
        var multi = new ArrayBufferWriter<byte>();

        codec.Encode(new ReadOnlySequence<byte>(payload), single);
        codec.Encode(Segments.Split(payload, [1, 4095, 4096, 9000]), multi);

        Assert.Equal(single.WrittenSpan.ToArray(), multi.WrittenSpan.ToArray());
    }
}
