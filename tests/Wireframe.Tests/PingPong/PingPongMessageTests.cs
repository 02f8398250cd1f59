using System.Buffers;
using System.Text;
using FsCheck;
using FsCheck.Fluent;
using Wireframe.Examples.PingPong.Messages;
using Wireframe.Serialization;
using static Wireframe.Tests.PingPong.PingPongWire;

namespace Wireframe.Tests.PingPong;

public sealed class PingPongMessageTests
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    // Full-range values (the default generator stays near zero) plus the edges.
    private static readonly Arbitrary<uint> AnyUInt = Arb.From(Gen.OneOf(
        Gen.Elements(0u, 1u, 255u, 256u, uint.MaxValue - 1, uint.MaxValue),
        from high in Gen.Choose(0, 0xFFFF)
        from low in Gen.Choose(0, 0xFFFF)
        select ((uint)high << 16) | (uint)low));

    // Any UTF-16 content (lone surrogates included) up to 2000 chars, i.e. up to 6000 UTF-8 bytes.
    private static readonly Arbitrary<string> AnyText = Arb.From(
        from length in Gen.Frequency((3, Gen.Choose(0, 40)), (1, Gen.Choose(41, 2000)))
        from chars in Gen.ArrayOf(Gen.Frequency(
            (4, Gen.Choose(0x20, 0x7E).Select(c => (char)c)),
            (2, Gen.Choose(0, 0xFFFF).Select(c => (char)c)),
            (1, Gen.Elements("é€😀\uD800\uDFFF\0".ToCharArray()))), length)
        select new string(chars));

    [Fact]
    public void Ping_and_pong_are_four_big_endian_bytes()
    {
        Assert.Equal([0x01, 0x02, 0x03, 0x04], Serialize(new Ping(0x01020304)));
        Assert.Equal([0xFF, 0xFF, 0xFF, 0xFE], Serialize(new Pong(0xFFFFFFFE)));
    }

    [Fact]
    public void Any_uint_round_trips_byte_identical_through_ping_and_pong()
    {
        Prop.ForAll(AnyUInt, value =>
        {
            byte[] ping = Serialize(new Ping(value));
            byte[] pong = Serialize(new Pong(value));
            byte[] expected = [(byte)(value >> 24), (byte)(value >> 16), (byte)(value >> 8), (byte)value];
            return expected.AsSpan().SequenceEqual(ping)
                && expected.AsSpan().SequenceEqual(pong)
                && Deserialize<Ping>(ping) == new Ping(value)
                && Deserialize<Pong>(pong) == new Pong(value)

                // A value the transport split across buffers reads the same.
                && Deserialize<Ping>(Segmented(ping, 1)) == new Ping(value)
                && Deserialize<Pong>(Segmented(pong, 3)) == new Pong(value);
        }).QuickCheckThrowOnFailure();
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(5)]
    [InlineData(8)]
    public void Ping_payload_that_is_not_four_bytes_is_rejected(int length)
    {
        var ex = Assert.Throws<MessageFormatException>(() => Deserialize<Ping>(new byte[length]));
        Assert.Contains("Ping", ex.Message, StringComparison.Ordinal);
        Assert.Throws<MessageFormatException>(() => Deserialize<Pong>(new byte[length]));
    }

    [Fact]
    public void Any_ping_payload_of_the_wrong_length_is_rejected_with_a_format_error()
    {
        var wrongLength = Arb.From(Gen.Choose(0, 64).Where(n => n != 4).SelectMany(n => Gen.ArrayOf(Gen.Choose(0, 255).Select(b => (byte)b), n)));
        Prop.ForAll(wrongLength, bytes =>
        {
            try
            {
                Deserialize<Ping>(Segmented(bytes, 2));
                return false;
            }
            catch (MessageFormatException)
            {
                return true;
            }
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void Error_message_layout_is_code_length_and_utf8_text()
    {
        Assert.Equal([0x01, 0x02, 0x00, 0x03, (byte)'h', 0xC3, 0xA9], Serialize(new ErrorMessage(0x0102, "hé")));
        Assert.Equal([0x00, 0x07, 0x00, 0x00], Serialize(new ErrorMessage(7, string.Empty)));
    }

    [Fact]
    public void Any_error_message_round_trips_byte_identical()
    {
        Prop.ForAll(AnyUInt, AnyText, (seed, text) =>
        {
            var message = new ErrorMessage((ushort)seed, text);
            byte[] bytes = Serialize(message);
            ErrorMessage read = Deserialize<ErrorMessage>(bytes);
            ErrorMessage readSplit = Deserialize<ErrorMessage>(Segmented(bytes, 3));

            // Well-formed text comes back equal; a lone surrogate comes back as U+FFFD, which
            // encodes to the same bytes, so the wire form is stable either way.
            bool sameMessage = !IsWellFormed(text) || read == message;
            return sameMessage
                && read == readSplit
                && read.Code == message.Code
                && bytes.AsSpan().SequenceEqual(Serialize(read));
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void Every_truncation_of_an_error_message_is_rejected_with_a_format_error()
    {
        Prop.ForAll(AnyText, text =>
        {
            byte[] bytes = Serialize(new ErrorMessage(1, text));
            for (int length = 0; length < bytes.Length; length++)
            {
                try
                {
                    Deserialize<ErrorMessage>(bytes.AsSpan(0, length).ToArray());
                    return false;
                }
                catch (MessageFormatException)
                {
                }
            }

            return true;
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void Lone_surrogate_is_sent_as_the_replacement_character()
    {
        byte[] bytes = Serialize(new ErrorMessage(1, "a\uD800b"));

        Assert.Equal([0x00, 0x01, 0x00, 0x05, (byte)'a', 0xEF, 0xBF, 0xBD, (byte)'b'], bytes);
        Assert.Equal("a\uFFFDb", Deserialize<ErrorMessage>(bytes).Text);
    }

    [Fact]
    public void Text_of_exactly_the_maximum_length_round_trips()
    {
        var message = new ErrorMessage(9, new string('x', ErrorMessage.MaxTextBytes));
        byte[] bytes = Serialize(message);

        Assert.Equal(4 + ErrorMessage.MaxTextBytes, bytes.Length);
        Assert.Equal(message, Deserialize<ErrorMessage>(Segmented(bytes, 4096)));
    }

    [Fact]
    public void Text_longer_than_the_length_prefix_allows_is_refused_at_construction()
    {
        var ascii = Assert.Throws<ArgumentException>(() => new ErrorMessage(1, new string('x', ErrorMessage.MaxTextBytes + 1)));
        Assert.Contains("65536", ascii.Message, StringComparison.Ordinal);

        // Fewer chars than the limit, but two UTF-8 bytes each.
        Assert.Throws<ArgumentException>(() => new ErrorMessage(1, new string('é', (ErrorMessage.MaxTextBytes / 2) + 1)));
        Assert.Throws<ArgumentNullException>(() => new ErrorMessage(1, null!));
    }

    [Theory]
    [InlineData(new byte[] { }, "header")]
    [InlineData(new byte[] { 0x00, 0x01, 0x00 }, "header")]
    [InlineData(new byte[] { 0x00, 0x01, 0x00, 0x05, (byte)'a', (byte)'b' }, "only 2 follow")]
    [InlineData(new byte[] { 0x00, 0x01, 0x00, 0x01, 0xFF }, "UTF-8")]
    [InlineData(new byte[] { 0x00, 0x01, 0x00, 0x01, 0xC3 }, "UTF-8")]
    [InlineData(new byte[] { 0x00, 0x01, 0x00, 0x03, 0xED, 0xA0, 0x80 }, "UTF-8")]
    [InlineData(new byte[] { 0x00, 0x01, 0x00, 0x01, (byte)'a', (byte)'b' }, "trailing")]
    public void Malformed_error_message_payload_is_rejected_with_a_clear_message(byte[] payload, string reason)
    {
        var ex = Assert.Throws<MessageFormatException>(() => Deserialize<ErrorMessage>(payload));

        Assert.Contains(reason, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Multibyte_text_split_inside_a_character_reads_correctly()
    {
        var message = new ErrorMessage(3, "€😀é");
        byte[] bytes = Serialize(message);

        for (int segment = 1; segment <= bytes.Length; segment++)
        {
            Assert.Equal(message, Deserialize<ErrorMessage>(Segmented(bytes, segment)));
        }
    }

    private static bool IsWellFormed(string text)
    {
        try
        {
            StrictUtf8.GetByteCount(text);
            return true;
        }
        catch (EncoderFallbackException)
        {
            return false;
        }
    }
}
