using System.Buffers;
using FsCheck;
using FsCheck.Fluent;
using Wireframe.Framing;

using Wireframe.Tests.Support;

namespace Wireframe.Tests.Framing;

public sealed class LengthDelimitedCodecPropertyTests
{
    [Fact]
    public void Any_payload_up_to_the_maximum_round_trips_for_every_prefix_order_and_adjustment()
    {
        Gen<(FramingCase, byte[])> gen =
            from c in FramingGen.UsableCase()
            from payload in FramingGen.Payload(c)
            select (c, payload);

        Check.One(FramingGen.Config, Prop.ForAll(Arb.From(gen), ((FramingCase Case, byte[] Payload) t) =>
        {
            var codec = new LengthDelimitedCodec(t.Case.Options);
            var output = new ArrayBufferWriter<byte>();
            codec.Encode(new ReadOnlySequence<byte>(t.Payload), output);

            // The codec's bytes are exactly what the options describe, built by hand.
            Assert.Equal(t.Case.Frame(t.Payload), output.WrittenSpan.ToArray());

            var input = new ReadOnlySequence<byte>(output.WrittenMemory);
            Assert.Equal(DecodeResult.Decoded, codec.TryDecode(ref input, out ReadOnlySequence<byte> frame));
            Assert.Equal(t.Payload, frame.ToArray());
            Assert.True(input.IsEmpty);
        }));
    }

    [Fact]
    public void A_concatenation_of_frames_decodes_to_all_of_them_in_order_whatever_the_split_points()
    {
        Gen<(FramingCase, byte[][], int[])> gen =
            from c in FramingGen.UsableCase()
            from count in Gen.Choose(0, 12)
            from payloads in Gen.ArrayOf(FramingGen.Payload(c), count)
            from cuts in FramingGen.Cuts
            select (c, payloads, cuts);

        Check.One(FramingGen.Config, Prop.ForAll(Arb.From(gen), ((FramingCase Case, byte[][] Payloads, int[] Cuts) t) =>
        {
            var codec = new LengthDelimitedCodec(t.Case.Options);
            var output = new ArrayBufferWriter<byte>();
            foreach (byte[] payload in t.Payloads)
            {
                codec.Encode(new ReadOnlySequence<byte>(payload), output);
            }

            byte[] wire = output.WrittenSpan.ToArray();

            // All at once, in one segment.
            var (whole, stop, rest) = FrameDecoding.DecodeAll(codec, new ReadOnlySequence<byte>(wire), f => f.ToArray());
            Assert.Equal(t.Payloads, whole);
            Assert.Equal(DecodeStatus.NeedMoreData, stop.Status);
            Assert.True(rest.IsEmpty);

            // All at once, with segment boundaries anywhere (inside prefixes included).
            var (split, _, _) = FrameDecoding.DecodeAll(codec, Segments.Split(wire, t.Cuts), f => f.ToArray());
            Assert.Equal(t.Payloads, split);

            // Arriving in pieces.
            Assert.Equal(t.Payloads, FrameDecoding.DecodeIncrementally(codec, FrameDecoding.ChunksOf(wire, t.Cuts), f => f.ToArray()));
        }));
    }

    [Fact]
    public void Every_strict_prefix_of_a_frame_needs_more_data_and_consumes_nothing()
    {
        Gen<(FramingCase, byte[])> gen =
            from c in FramingGen.UsableCase()
            from payload in FramingGen.Payload(c)
            select (c, payload);

        Check.One(FramingGen.Config.WithMaxTest(100), Prop.ForAll(Arb.From(gen), ((FramingCase Case, byte[] Payload) t) =>
        {
            var codec = new LengthDelimitedCodec(t.Case.Options);
            byte[] wire = t.Case.Frame(t.Payload);
            for (int length = 0; length < wire.Length; length++)
            {
                var input = new ReadOnlySequence<byte>(wire, 0, length);
                Assert.Equal(DecodeResult.NeedMoreData, codec.TryDecode(ref input, out _));
                Assert.Equal(length, input.Length);
            }
        }));
    }
}
