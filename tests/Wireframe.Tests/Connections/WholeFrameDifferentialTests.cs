using System.Buffers;
using System.IO.Pipelines;
using FsCheck;
using FsCheck.Fluent;
using Wireframe.Connections;
using Wireframe.Framing;
using Wireframe.Outbound;
using Wireframe.Testing;
using Wireframe.Tests.Framing;
using Wireframe.Tests.Support;
using static Wireframe.Tests.Connections.TestKit;

namespace Wireframe.Tests.Connections;

/// <summary>
/// The read loop's own run over whole frames against the general decoder: the same input, served
/// once with the built-in codec (the run) and once with the same codec behind a codec of another
/// type (the general decoder only), gives handlers the same frames at the same positions, ends the
/// same way and sends the same bytes, with bad frames, error policies, reads that end anywhere,
/// handlers that complete later and connections closed mid-read.
/// </summary>
public sealed class WholeFrameDifferentialTests
{
    private const int Cases = 300;

    internal sealed record Run(
        List<string> Frames,
        List<string> Positions,
        string Outcome,
        string? Undecoded,
        byte[] Echoed);

    internal sealed record Scenario(
        FramingCase Case,
        byte[] Stream,
        int[] Cuts,
        int[] ReadCuts,
        FrameErrorAction Oversized,
        FrameErrorAction Malformed,
        int MaxErrors,
        int AsyncEvery,
        int CloseAfter,
        bool WithProtocol);

    private static Gen<Scenario> Scenarios =>
        from c in FramingGen.UsableCase()
        from count in Gen.Choose(0, 16)
        from items in Gen.ArrayOf(FramingGen.StreamItem(c), count)
        from cuts in FramingGen.Cuts
        from readCuts in Gen.Frequency((1, Gen.Constant(Array.Empty<int>())), (2, FramingGen.Cuts))
        from oversized in Gen.Elements(FrameErrorAction.DropFrame, FrameErrorAction.Disconnect)
        from malformed in Gen.Elements(FrameErrorAction.DropFrame, FrameErrorAction.Disconnect)
        from maxErrors in Gen.Choose(1, 4)
        from asyncEvery in Gen.Elements(0, 0, 1, 2, 3)
        from closeAfter in Gen.Elements(-1, -1, 0, 1, 3)
        from withProtocol in Gen.Elements(false, true)
        select new Scenario(c, [.. items.SelectMany(i => i)], cuts, readCuts, oversized, malformed, maxErrors, asyncEvery, closeAfter, withProtocol);

    [Fact]
    public void The_whole_frame_run_handles_any_input_exactly_as_the_general_decoder_does()
    {
        Check.One(FramingGen.Config.WithMaxTest(Cases), Prop.ForAll(Arb.From(Scenarios), s =>
        {
            ReadOnlySequence<byte> input = Segments.Split(s.Stream, s.Cuts);
            Run fast = ServeAsync(s, input, wrapCodec: false).GetAwaiter().GetResult();
            Run general = ServeAsync(s, input, wrapCodec: true).GetAwaiter().GetResult();
            Assert.Equal(general.Frames, fast.Frames);
            Assert.Equal(general.Positions, fast.Positions);
            Assert.Equal(general.Outcome, fast.Outcome);
            Assert.Equal(general.Undecoded, fast.Undecoded);
            Assert.Equal(general.Echoed, fast.Echoed);
        }));
    }

    /// <summary>A frame that ends exactly where its segment ends stays in that segment, whichever path decodes it.</summary>
    [Fact]
    public async Task A_frame_ending_at_its_segment_end_is_one_segment_from_the_codec_and_from_the_read_loop()
    {
        byte[] stream = [.. Prefix(1), (byte)'a', .. Prefix(1), (byte)'b'];
        ReadOnlySequence<byte> input = Segments.At(stream, 5);
        var s = new Scenario(new FramingCase(4, ByteOrder.BigEndian, false, 0, 1024), stream, [], [], FrameErrorAction.Disconnect, FrameErrorAction.DropFrame, 3, 0, -1, false);

        Run fast = await ServeAsync(s, input, wrapCodec: false);
        Run general = await ServeAsync(s, input, wrapCodec: true);

        var copy = input;
        Assert.Equal(DecodeResult.Decoded, new LengthDelimitedCodec().TryDecode(ref copy, out ReadOnlySequence<byte> expected));
        Assert.True(expected.IsSingleSegment);
        Assert.Equal("0:4-0:5 single=True", Describe(input, expected));
        Assert.Equal(Describe(input, expected), fast.Positions[0]);
        Assert.Equal(fast.Positions, general.Positions);
    }

    internal static string Describe(ReadOnlySequence<byte> all, ReadOnlySequence<byte> frame)
    {
        var index = new Dictionary<object, int>(ReferenceEqualityComparer.Instance);
        int i = 0;
        for (var segment = (ReadOnlySequenceSegment<byte>?)all.Start.GetObject(); segment is not null; segment = segment.Next)
        {
            index[segment] = i++;
        }

        string Pos(SequencePosition p) => p.GetObject() is { } o && index.TryGetValue(o, out int n) ? $"{n}:{p.GetInteger()}" : $"?:{p.GetInteger()}";
        return $"{Pos(frame.Start)}-{Pos(frame.End)} single={frame.IsSingleSegment}";
    }

    internal static async Task<Run> ServeAsync(Scenario s, ReadOnlySequence<byte> input, bool wrapCodec)
    {
        var codec = new LengthDelimitedCodec(s.Case.Options);
        var app = wrapCodec
            ? WireframeApp.CreateBuilder<ReadOnlySequence<byte>>(new Delegating(codec), Wireframe.Messages.RawFrameFormat.Instance)
            : WireframeApp.CreateRawBuilder(s.Case.Options);
        var protocol = new EofProtocol();
        app.Configure(o =>
        {
            o.OversizedFrameAction = s.Oversized;
            o.MalformedFrameAction = s.Malformed;
            o.MaxConsecutiveFrameErrors = s.MaxErrors;
        });
        if (s.WithProtocol)
        {
            app.WithProtocol(protocol);
        }

        var frames = new List<string>();
        var positions = new List<string>();
        int handled = 0;
        app.Route<ReadOnlySequence<byte>, ReadOnlySequence<byte>>(0, async (frame, context) =>
        {
            int n = handled++;
            frames.Add(Convert.ToHexString(frame.ToArray()));
            positions.Add(Describe(input, frame));
            if (n == s.CloseAfter)
            {
                context.Connection.Close();
            }

            if (s.AsyncEvery > 0 && n % s.AsyncEvery == 0)
            {
                await Task.Yield();
            }

            return frame;
        });
        await using var host = WireframeTest.CreateHost(app);
        var context = new InMemoryConnectionContext();
        PipeReader reader = s.ReadCuts.Length == 0 ? PipeReader.Create(input) : new SteppedReader(input, s.ReadCuts);
        context.Transport = new DuplexPipe(reader, context.Transport.Output);

        Task<byte[]> echoed = DrainAsync(context.Application.Input);
        DisconnectInfo outcome = await host.Handler.ServeAsync(context).Within();
        await context.Transport.Output.CompleteAsync();
        return new Run(frames, positions, $"{outcome.Reason} {outcome.Eof} {outcome.Detail}", protocol.Undecoded, await echoed.Within());
    }

    private sealed class EofProtocol : IWireframeProtocol<ReadOnlySequence<byte>>
    {
        public string? Undecoded { get; private set; }

        public void OnEof(FrameEofKind eof, ReadOnlySequence<byte> undecoded, WireframeConnection<ReadOnlySequence<byte>> connection) =>
            Undecoded = $"{eof} {Convert.ToHexString(undecoded.ToArray())}";
    }

    /// <summary>The built-in codec behind an interface of its own: the read loop cannot recognise it.</summary>
    private sealed class Delegating(LengthDelimitedCodec inner) : IFrameCodec<ReadOnlySequence<byte>>
    {
        public DecodeResult TryDecode(ref ReadOnlySequence<byte> input, out ReadOnlySequence<byte> frame) => inner.TryDecode(ref input, out frame);

        public void Encode(in ReadOnlySequence<byte> frame, IBufferWriter<byte> output) => inner.Encode(frame, output);

        public FrameEofKind ClassifyEof(in ReadOnlySequence<byte> remaining) => inner.ClassifyEof(remaining);
    }
}
