using System.Buffers;
using System.Buffers.Binary;
using FsCheck;
using FsCheck.Fluent;
using Wireframe.Framing;
using Wireframe.Messages;

using Wireframe.Tests.Support;

namespace Wireframe.Tests.Framing;

public sealed class EnvelopeCodecPropertyTests
{
    internal sealed record Message(uint Id, ulong? CorrelationId, byte[] Payload)
    {
        public static Message Of(Envelope e) => new(e.MessageId, e.CorrelationId, e.Payload.ToArray());

        public Envelope ToEnvelope() => new(Id, CorrelationId, Payload.AsMemory());

        /// <summary>The envelope body as the codec's XML docs lay it out, built by hand.</summary>
        public byte[] Body()
        {
            int header = CorrelationId.HasValue ? EnvelopeCodec.CorrelatedHeaderSize : EnvelopeCodec.HeaderSize;
            byte[] body = new byte[header + Payload.Length];
            BinaryPrimitives.WriteUInt32BigEndian(body, Id);
            body[4] = CorrelationId.HasValue ? EnvelopeCodec.CorrelationFlag : (byte)0;
            if (CorrelationId is ulong correlation)
            {
                BinaryPrimitives.WriteUInt64BigEndian(body.AsSpan(5), correlation);
            }

            Payload.CopyTo(body, header);
            return body;
        }

        public bool Equals(Message? other) =>
            other is not null && Id == other.Id && CorrelationId == other.CorrelationId && Payload.AsSpan().SequenceEqual(other.Payload);

        public override int GetHashCode() => HashCode.Combine(Id, CorrelationId, Payload.Length);

        public override string ToString() => $"id={Id} corr={CorrelationId?.ToString() ?? "none"} payload={Payload.Length}B";
    }

    private static Gen<Message> MessageFor(FramingCase c) =>
        from id in FramingGen.UInt64.Select(v => (uint)v)
        from hasCorrelation in Gen.Elements(false, true)
        from correlation in FramingGen.UInt64
        let header = hasCorrelation ? EnvelopeCodec.CorrelatedHeaderSize : EnvelopeCodec.HeaderSize
        from payload in FramingGen.Payload(c, header)
        select new Message(id, hasCorrelation ? correlation : null, payload);

    [Fact]
    public void Any_envelope_up_to_the_maximum_round_trips_for_every_prefix_order_and_adjustment()
    {
        Gen<(FramingCase, Message)> gen =
            from c in FramingGen.UsableCase(minRoom: EnvelopeCodec.CorrelatedHeaderSize)
            from m in MessageFor(c)
            select (c, m);

        Check.One(FramingGen.Config, Prop.ForAll(Arb.From(gen), ((FramingCase Case, Message Message) t) =>
        {
            var codec = new EnvelopeCodec(t.Case.Options);
            var output = new ArrayBufferWriter<byte>();
            codec.Encode(t.Message.ToEnvelope(), output);
            Assert.Equal(t.Case.Frame(t.Message.Body()), output.WrittenSpan.ToArray());

            var input = new ReadOnlySequence<byte>(output.WrittenMemory);
            Assert.Equal(DecodeResult.Decoded, codec.TryDecode(ref input, out Envelope frame));
            Assert.Equal(t.Message, Message.Of(frame));
            Assert.True(input.IsEmpty);
        }));
    }

    [Fact]
    public void A_concatenation_of_envelopes_decodes_to_all_of_them_in_order_whatever_the_split_points()
    {
        Gen<(FramingCase, Message[], int[])> gen =
            from c in FramingGen.UsableCase(minRoom: EnvelopeCodec.CorrelatedHeaderSize)
            from count in Gen.Choose(0, 12)
            from messages in Gen.ArrayOf(MessageFor(c), count)
            from cuts in FramingGen.Cuts
            select (c, messages, cuts);

        Check.One(FramingGen.Config, Prop.ForAll(Arb.From(gen), ((FramingCase Case, Message[] Messages, int[] Cuts) t) =>
        {
            var codec = new EnvelopeCodec(t.Case.Options);
            var output = new ArrayBufferWriter<byte>();
            foreach (Message message in t.Messages)
            {
                codec.Encode(message.ToEnvelope(), output);
            }

            byte[] wire = output.WrittenSpan.ToArray();
            var (whole, stop, rest) = FrameDecoding.DecodeAll(codec, new ReadOnlySequence<byte>(wire), Message.Of);
            Assert.Equal(t.Messages, whole);
            Assert.Equal(DecodeStatus.NeedMoreData, stop.Status);
            Assert.True(rest.IsEmpty);

            var (split, _, _) = FrameDecoding.DecodeAll(codec, Segments.Split(wire, t.Cuts), Message.Of);
            Assert.Equal(t.Messages, split);

            Assert.Equal(t.Messages, FrameDecoding.DecodeIncrementally(codec, FrameDecoding.ChunksOf(wire, t.Cuts), Message.Of));
        }));
    }
}
