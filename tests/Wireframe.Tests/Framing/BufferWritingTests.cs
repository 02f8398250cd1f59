using System.Buffers;
using System.IO.Pipelines;
using FsCheck;
using FsCheck.Fluent;
using Wireframe.Connections;
using Wireframe.Framing;
using Wireframe.Messages;
using Wireframe.Serialization;
using Wireframe.Testing;
using Wireframe.Tests.Support;
using static Wireframe.Tests.Connections.TestKit;

namespace Wireframe.Tests.Framing;

/// <summary>The codecs' copy into buffer writers: the same bytes as <see cref="BuffersExtensions"/> for any writer, the direct batch writer included.</summary>
public sealed class BufferWritingTests
{
    /// <summary>A legal writer that hands out exactly the size asked for (one byte for a hint of 0), counting its calls.</summary>
    private sealed class Stingy : IBufferWriter<byte>
    {
        private readonly List<byte> _bytes = [];
        private byte[] _current = [];

        public byte[] Written => [.. _bytes];

        public void Advance(int count)
        {
            if (count > _current.Length)
            {
                throw new InvalidOperationException("advanced too far");
            }

            _bytes.AddRange(_current.AsSpan(0, count).ToArray());
            _current = [];
        }

        public Memory<byte> GetMemory(int sizeHint = 0) => _current = new byte[Math.Max(sizeHint, 1)];

        public Span<byte> GetSpan(int sizeHint = 0) => GetMemory(sizeHint).Span;
    }

    [Fact]
    public void Every_writer_sees_the_same_bytes_as_with_BuffersExtensions()
    {
        Gen<(byte[], int[])> gen =
            from length in Gen.Choose(0, 9000)
            from bytes in FramingGen.Bytes(length)
            from cuts in FramingGen.Cuts
            select (bytes, cuts);
        Check.One(FramingGen.Config.WithMaxTest(200), Prop.ForAll(Arb.From(gen), ((byte[] Bytes, int[] Cuts) t) =>
        {
            ReadOnlySequence<byte> payload = Segments.Split(t.Bytes, t.Cuts);

            // Reference: the runtime's BuffersExtensions.Write, segment by segment.
            var reference = new Stingy();
            foreach (ReadOnlyMemory<byte> segment in payload)
            {
                BuffersExtensions.Write(reference, segment.Span);
            }

            var stingy = new Stingy();
            BufferWriting.Write<IBufferWriter<byte>>(stingy, payload);
            Assert.Equal(reference.Written, stingy.Written);

            var serialized = new Stingy();
            RawBytesSerializer.Instance.GetFormatter<ReadOnlySequence<byte>>()!.Serialize(payload, serialized);
            Assert.Equal(t.Bytes, serialized.Written);

            var codec = new LengthDelimitedCodec(new LengthDelimitedOptions { MaxFrameLength = 10_000 });
            var viaInterface = new Stingy();
            codec.Encode(payload, viaInterface);
            Assert.Equal([.. Prefix((uint)t.Bytes.Length), .. t.Bytes], viaInterface.Written);

            var pipe = new Pipe(new PipeOptions(minimumSegmentSize: 17));
            var batch = new BatchedOutput(pipe.Writer);
            codec.Encode(payload, batch);
            codec.Encode(payload, batch);
            batch.CommitForFlush();
            pipe.Writer.Complete();
            pipe.Reader.TryRead(out ReadResult result);
            Assert.Equal([.. Prefix((uint)t.Bytes.Length), .. t.Bytes, .. Prefix((uint)t.Bytes.Length), .. t.Bytes], result.Buffer.ToArray());

            var envelope = new Stingy();
            new EnvelopeCodec().Encode(new Envelope(7, 9, payload), envelope);
            var envelopeReference = new ArrayBufferWriter<byte>();
            new EnvelopeCodec().Encode(new Envelope(7, 9, new ReadOnlySequence<byte>(t.Bytes)), envelopeReference);
            Assert.Equal(envelopeReference.WrittenSpan.ToArray(), envelope.Written);
        }));
    }

    [Fact]
    public async Task Large_raw_frames_straddling_segments_echo_intact_through_the_direct_encoder()
    {
        var app = WireframeApp.CreateRawBuilder(new LengthDelimitedOptions { MaxFrameLength = 60_000 });
        app.Route<ReadOnlySequence<byte>, ReadOnlySequence<byte>>(0, (frame, _) => frame);
        await using var host = WireframeTest.CreateHost(app);
        await using var client = host.Connect();
        var random = new Random(5);
        foreach (int size in new[] { 0, 1, 4095, 4096, 4097, 20_000, 50_000 })
        {
            byte[] payload = new byte[size];
            random.NextBytes(payload);
            await client.SendRawAsync((byte[])[.. Prefix((uint)size), .. payload]);
            Assert.Equal(payload, (await client.ReadFrameAsync().Within()).ToArray());
        }
    }

    private sealed class Full : IBufferWriter<byte>
    {
        public void Advance(int count)
        {
        }

        public Memory<byte> GetMemory(int sizeHint = 0) => Memory<byte>.Empty;

        public Span<byte> GetSpan(int sizeHint = 0) => Span<byte>.Empty;
    }

    [Fact]
    public void A_writer_with_no_room_fails_as_before()
    {
        var payload = new ReadOnlySequence<byte>(new byte[3]);
        Exception reference = Assert.ThrowsAny<Exception>(() => BuffersExtensions.Write(new Full(), payload.FirstSpan));
        Exception actual = Assert.ThrowsAny<Exception>(() => RawBytesSerializer.Instance.GetFormatter<ReadOnlySequence<byte>>()!.Serialize(payload, new Full()));
        Assert.Equal(reference.GetType(), actual.GetType());
    }
}
