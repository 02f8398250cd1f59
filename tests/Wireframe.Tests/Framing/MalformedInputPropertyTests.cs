using System.Buffers;
using System.Numerics;
using FsCheck;
using FsCheck.Fluent;
using Wireframe.Framing;
using Wireframe.Messages;

using Wireframe.Tests.Support;

namespace Wireframe.Tests.Framing;

public sealed class MalformedInputPropertyTests
{
    [Fact]
    public void Random_bytes_never_make_either_codec_throw_and_every_outcome_keeps_the_contract()
    {
        Gen<(FramingCase, byte[], int[])> gen =
            from c in FramingGen.AnyCase
            from length in Gen.Choose(0, 80)
            from bytes in FramingGen.Bytes(length)
            from cuts in FramingGen.Cuts
            select (c, bytes, cuts);

        Check.One(FramingGen.Config.WithMaxTest(1000), Prop.ForAll(Arb.From(gen), ((FramingCase Case, byte[] Bytes, int[] Cuts) t) =>
        {
            ReadOnlySequence<byte> input = Segments.Split(t.Bytes, t.Cuts);
            AssertWellBehaved(FrameDecoding.DecodeAll(new LengthDelimitedCodec(t.Case.Options), input, f => f.Length).Stop);
            AssertWellBehaved(FrameDecoding.DecodeAll(new EnvelopeCodec(t.Case.Options), input, f => f.Payload.Length).Stop);
        }));

        static void AssertWellBehaved(DecodeResult stop)
        {
            if (stop.Status == DecodeStatus.Error)
            {
                Assert.NotEqual(FrameErrorKind.None, stop.Error);
                Assert.True(stop.SkipBytes > 0 || stop.SkipBytes == DecodeResult.CannotResynchronize, $"SkipBytes {stop.SkipBytes} is neither a byte count nor CannotResynchronize.");
                Assert.False(string.IsNullOrWhiteSpace(stop.Message));
            }
            else
            {
                Assert.Equal(DecodeStatus.NeedMoreData, stop.Status);
            }
        }
    }

    [Fact]
    public void An_oversized_declared_length_is_rejected_from_the_prefix_alone_with_the_bytes_to_skip()
    {
        Gen<(FramingCase, ulong, int)> gen =
            from c in FramingGen.AnyCase.Where(c => c.SmallestOversizedDeclared.HasValue)
            from declared in FramingGen.OversizedDeclared(c)
            from extra in Gen.Choose(0, 3)
            select (c, declared, extra);

        Check.One(FramingGen.Config.WithMaxTest(1000), Prop.ForAll(Arb.From(gen), ((FramingCase Case, ulong Declared, int Extra) t) =>
        {
            // Only the prefix (and maybe a few body bytes) is buffered: the codec must not wait for the body.
            byte[] wire = [.. t.Case.Prefix(t.Declared), .. new byte[t.Extra]];
            BigInteger total = t.Case.PrefixLength + t.Case.BodyLength(t.Declared);
            long expectedSkip = total <= long.MaxValue ? (long)total : DecodeResult.CannotResynchronize;

            foreach (DecodeResult result in new[]
            {
                Decode(new LengthDelimitedCodec(t.Case.Options), wire),
                Decode(new EnvelopeCodec(t.Case.Options), wire),
            })
            {
                Assert.Equal(DecodeStatus.Error, result.Status);
                Assert.Equal(FrameErrorKind.Oversized, result.Error);
                Assert.Equal(expectedSkip, result.SkipBytes);
                Assert.Contains("LengthDelimitedOptions.MaxFrameLength", result.Message, StringComparison.Ordinal);
                Assert.Contains(t.Case.MaxFrameLength.ToString(System.Globalization.CultureInfo.InvariantCulture), result.Message, StringComparison.Ordinal);
            }
        }));

        static DecodeResult Decode<TFrame>(IFrameCodec<TFrame> codec, byte[] wire)
        {
            var input = new ReadOnlySequence<byte>(wire);
            DecodeResult result = codec.TryDecode(ref input, out _);
            Assert.Equal(wire.Length, input.Length);
            return result;
        }
    }

    [Fact]
    public void An_envelope_with_reserved_flag_bits_is_malformed_and_skipping_it_reaches_the_next_frame()
    {
        Gen<(FramingCase, byte, byte[], byte[])> gen =
            from c in FramingGen.UsableCase(minRoom: EnvelopeCodec.CorrelatedHeaderSize + 4)
            from flags in Gen.Choose(2, 255).Select(f => (byte)f)
            from rest in FramingGen.Bytes(8)
            from next in FramingGen.Bytes(4)
            select (c, flags, rest, next);

        Check.One(FramingGen.Config, Prop.ForAll(Arb.From(gen), ((FramingCase Case, byte Flags, byte[] Tail, byte[] Next) t) =>
        {
            byte[] bad = t.Case.Frame([0, 0, 0, 7, t.Flags, .. t.Tail]);
            byte[] good = t.Case.Frame([0, 0, 0, 9, 0, .. t.Next]);
            AssertMalformedThenNext(new EnvelopeCodec(t.Case.Options), bad, good, "reserved");
        }));
    }

    [Fact]
    public void An_envelope_body_shorter_than_its_header_is_malformed_with_the_whole_frame_to_skip()
    {
        Gen<(FramingCase, byte[])> gen =
            from c in FramingGen.UsableCase(minRoom: EnvelopeCodec.CorrelatedHeaderSize + 4)
            from body in Gen.OneOf(
                Gen.Choose(0, EnvelopeCodec.HeaderSize - 1).SelectMany(FramingGen.Bytes),
                Gen.Choose(EnvelopeCodec.HeaderSize, EnvelopeCodec.CorrelatedHeaderSize - 1).SelectMany(n => FramingGen.Bytes(n - 5).Select(tail => (byte[])[0, 0, 0, 1, EnvelopeCodec.CorrelationFlag, .. tail])))
            where body.Length >= c.MinBody
            select (c, body);

        Check.One(FramingGen.Config, Prop.ForAll(Arb.From(gen), ((FramingCase Case, byte[] Body) t) =>
        {
            byte[] bad = t.Case.Frame(t.Body);
            byte[] good = t.Case.Frame([0, 0, 0, 9, 0, 1, 2, 3]);
            AssertMalformedThenNext(new EnvelopeCodec(t.Case.Options), bad, good, "shorter than");
        }));
    }

    private static void AssertMalformedThenNext(EnvelopeCodec codec, byte[] bad, byte[] good, string reason)
    {
        var input = new ReadOnlySequence<byte>([.. bad, .. good]);
        DecodeResult result = codec.TryDecode(ref input, out _);
        Assert.Equal(DecodeStatus.Error, result.Status);
        Assert.Equal(FrameErrorKind.Malformed, result.Error);
        Assert.Equal(bad.Length, result.SkipBytes);
        Assert.Contains(reason, result.Message, StringComparison.Ordinal);
        Assert.Equal(bad.Length + good.Length, input.Length);

        input = input.Slice(result.SkipBytes);
        Assert.Equal(DecodeResult.Decoded, codec.TryDecode(ref input, out Envelope next));
        Assert.Equal(9u, next.MessageId);
        Assert.True(input.IsEmpty);
    }
}
