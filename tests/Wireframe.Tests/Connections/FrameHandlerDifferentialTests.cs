using System.Buffers;
using System.IO.Pipelines;
using FsCheck;
using FsCheck.Fluent;
using Wireframe.Connections;
using Wireframe.Framing;
using Wireframe.Messages;
using Wireframe.Routing;
using Wireframe.Testing;
using Wireframe.Tests.Framing;
using Wireframe.Tests.Support;
using static Wireframe.Tests.Connections.TestKit;

namespace Wireframe.Tests.Connections;

/// <summary>
/// A frame handler (<see cref="WireframeAppBuilder{TFrame}.HandleFrames"/>) gives the same result
/// whichever way the read loop finds its frames: served once with the built-in length-delimited
/// codec (the read loop's own run over whole frames) and once with the same codec behind a codec of
/// another type (the general decoder), the same random input, in random segments and reads, with bad
/// frames, error policies, handlers that send several replies, send through the connection, throw
/// or close, and any batch limit, is handled frame for frame alike, sends the same bytes and ends the
/// same way. The same application written with a route is the third witness: the frame handler is
/// a faster way to the same behaviour, not a different one.
/// </summary>
public sealed class FrameHandlerDifferentialTests
{
    private const int Cases = 200;

    internal enum Mode
    {
        /// <summary>A frame handler on the built-in codec: the read loop's own run.</summary>
        WholeFrames,

        /// <summary>A frame handler on the codec behind another type: the general decoder.</summary>
        Decoder,

        /// <summary>The same behaviour as a route, on the built-in codec.</summary>
        Route,
    }

    internal sealed record Run(List<string> Frames, List<string> Errors, string Outcome, byte[] Sent);

    internal sealed record Scenario(
        FramingCase Case,
        byte[] Stream,
        int[] Cuts,
        int[] ReadCuts,
        FrameErrorAction Oversized,
        FrameErrorAction Malformed,
        int MaxErrors,
        HandlerExceptionPolicy Policy,
        int ThrowEvery,
        int CloseAfter,
        int MaxUnflushedBytes);

    private static Gen<Scenario> Scenarios =>
        from c in FramingGen.UsableCase()
        from count in Gen.Choose(0, 16)
        from items in Gen.ArrayOf(FramingGen.StreamItem(c), count)
        from cuts in FramingGen.Cuts
        from readCuts in Gen.Frequency((1, Gen.Constant(Array.Empty<int>())), (2, FramingGen.Cuts))
        from oversized in Gen.Elements(FrameErrorAction.DropFrame, FrameErrorAction.Disconnect)
        from malformed in Gen.Elements(FrameErrorAction.DropFrame, FrameErrorAction.Disconnect)
        from maxErrors in Gen.Choose(1, 4)
        from policy in Gen.Elements(HandlerExceptionPolicy.FailRequest, HandlerExceptionPolicy.CloseConnection)
        from throwEvery in Gen.Elements(0, 0, 2, 3, 5)
        from closeAfter in Gen.Elements(-1, -1, 0, 1, 4)
        from maxUnflushed in Gen.Elements(1, 16, 100, 64 * 1024)
        select new Scenario(c, [.. items.SelectMany(i => i)], cuts, readCuts, oversized, malformed, maxErrors, policy, throwEvery, closeAfter, maxUnflushed);

    [Fact]
    public void A_frame_handler_behaves_alike_on_the_read_loops_run_on_the_general_decoder_and_as_a_route()
    {
        Check.One(FramingGen.Config.WithMaxTest(Cases), Prop.ForAll(Arb.From(Scenarios), s =>
        {
            ReadOnlySequence<byte> input = Segments.Split(s.Stream, s.Cuts);
            Run whole = ServeAsync(s, input, Mode.WholeFrames).GetAwaiter().GetResult();
            Run decoder = ServeAsync(s, input, Mode.Decoder).GetAwaiter().GetResult();
            Run route = ServeAsync(s, input, Mode.Route).GetAwaiter().GetResult();
            Assert.Equal(decoder.Frames, whole.Frames);
            Assert.Equal(decoder.Errors, whole.Errors);
            Assert.Equal(decoder.Outcome, whole.Outcome);
            Assert.Equal(decoder.Sent, whole.Sent);
            Assert.Equal(route.Frames, whole.Frames);
            Assert.Equal(route.Errors, whole.Errors);
            Assert.Equal(route.Outcome, whole.Outcome);
            Assert.Equal(route.Sent, whole.Sent);
        }));
    }

    /// <summary>A fixed case of each behaviour, so a failure here names the one that broke.</summary>
    [Theory]
    [InlineData(HandlerExceptionPolicy.FailRequest, 2, -1, 1)]
    [InlineData(HandlerExceptionPolicy.CloseConnection, 3, -1, 16)]
    [InlineData(HandlerExceptionPolicy.FailRequest, 0, 4, 100)]
    [InlineData(HandlerExceptionPolicy.FailRequest, 3, 5, 1)]
    public async Task Valid_frames_in_odd_segments_and_reads_give_the_same_result_every_way(HandlerExceptionPolicy policy, int throwEvery, int closeAfter, int maxUnflushed)
    {
        var c = new FramingCase(4, ByteOrder.BigEndian, false, 0, 1024);
        byte[] stream = [.. Enumerable.Range(0, 12).SelectMany(i => c.Frame(Payloads.Random(i * 7, seed: i)))];
        var s = new Scenario(c, stream, [3, 40, 41, 200], [17, 90, 91, 300], FrameErrorAction.DropFrame, FrameErrorAction.DropFrame, 3, policy, throwEvery, closeAfter, maxUnflushed);
        ReadOnlySequence<byte> input = Segments.Split(s.Stream, s.Cuts);

        Run whole = await ServeAsync(s, input, Mode.WholeFrames);
        Run decoder = await ServeAsync(s, input, Mode.Decoder);
        Run route = await ServeAsync(s, input, Mode.Route);

        Assert.NotEmpty(whole.Frames);
        Assert.Equal(decoder, whole, RunComparer.Instance);
        Assert.Equal(route, whole, RunComparer.Instance);
    }

    internal static async Task<Run> ServeAsync(Scenario s, ReadOnlySequence<byte> input, Mode mode)
    {
        var app = mode == Mode.Decoder
            ? WireframeApp.CreateBuilder<ReadOnlySequence<byte>>(new Delegating(new LengthDelimitedCodec(s.Case.Options)), RawFrameFormat.Instance)
            : WireframeApp.CreateRawBuilder(s.Case.Options);
        var frames = new List<string>();
        var errors = new List<string>();
        app.Configure(o =>
        {
            o.OversizedFrameAction = s.Oversized;
            o.MalformedFrameAction = s.Malformed;
            o.MaxConsecutiveFrameErrors = s.MaxErrors;
            o.HandlerExceptionPolicy = s.Policy;
            o.MaxUnflushedBytes = s.MaxUnflushedBytes;
        });
        app.OnRequestError(async (ctx, ex) =>
        {
            errors.Add($"{Convert.ToHexString(ctx.Frame.ToArray())} {ex.GetType().Name} {ex.Message}");
            await ctx.ReplyAsync(ctx.Frame);
        });

        int handled = 0;
        if (mode == Mode.Route)
        {
            app.Route<ReadOnlySequence<byte>>(0, async (frame, context) =>
            {
                var typed = (RequestContext<ReadOnlySequence<byte>>)context;
                int n = Start(frame, handled++, frames);
                for (int i = 0; i < Replies(n); i++)
                {
                    Assert.True(await typed.ReplyAsync(frame));
                }

                if (SendsThroughConnection(n))
                {
                    Assert.True(await typed.TypedConnection.SendAsync(frame));
                }

                Finish(s, n, context.Connection);
            });
        }
        else
        {
            app.HandleFrames((frame, reply) =>
            {
                int n = Start(frame, handled++, frames);
                for (int i = 0; i < Replies(n); i++)
                {
                    Assert.True(reply.Send(frame));
                }

                if (SendsThroughConnection(n))
                {
                    // Sync over async on the connection's own send, which must complete at once (checked
                    // first, so a send that waits fails the property instead of hanging it).
                    ValueTask<bool> send = reply.Connection.SendAsync(frame);
                    Assert.True(send.IsCompleted, "SendAsync inside the handler waits for the writer its own run holds.");
                    Assert.True(send.AsTask().GetAwaiter().GetResult());
                }

                Finish(s, n, reply.Connection);
            });
        }

        await using var host = WireframeTest.CreateHost(app);
        var context = new InMemoryConnectionContext();
        PipeReader reader = s.ReadCuts.Length == 0 ? PipeReader.Create(input) : new SteppedReader(input, s.ReadCuts);
        context.Transport = new DuplexPipe(reader, context.Transport.Output);

        Task<byte[]> sent = DrainAsync(context.Application.Input);
        DisconnectInfo outcome = await host.Handler.ServeAsync(context).Within();
        await context.Transport.Output.CompleteAsync();
        return new Run(frames, errors, $"{outcome.Reason} {outcome.Eof} {outcome.Detail}", await sent.Within());
    }

    private static int Start(ReadOnlySequence<byte> frame, int n, List<string> frames)
    {
        frames.Add(Convert.ToHexString(frame.ToArray()));
        return n;
    }

    /// <summary>0, 1 or 2 replies, in turn.</summary>
    private static int Replies(int n) => n % 3;

    private static bool SendsThroughConnection(int n) => n % 4 == 1;

    private static void Finish(Scenario s, int n, WireframeConnection connection)
    {
        if (n == s.CloseAfter)
        {
            connection.Close();
        }

        if (s.ThrowEvery > 0 && n % s.ThrowEvery == s.ThrowEvery - 1)
        {
            throw new InvalidOperationException($"frame {n} failed");
        }
    }

    private sealed class RunComparer : IEqualityComparer<Run>
    {
        public static readonly RunComparer Instance = new();

        public bool Equals(Run? x, Run? y) =>
            x is not null && y is not null
            && x.Frames.SequenceEqual(y.Frames)
            && x.Errors.SequenceEqual(y.Errors)
            && x.Outcome == y.Outcome
            && x.Sent.AsSpan().SequenceEqual(y.Sent);

        public int GetHashCode(Run obj) => obj.Outcome.GetHashCode(StringComparison.Ordinal);
    }

    /// <summary>The built-in codec behind an interface of its own: the read loop cannot recognise it.</summary>
    private sealed class Delegating(LengthDelimitedCodec inner) : IFrameCodec<ReadOnlySequence<byte>>
    {
        public DecodeResult TryDecode(ref ReadOnlySequence<byte> input, out ReadOnlySequence<byte> frame) => inner.TryDecode(ref input, out frame);

        public void Encode(in ReadOnlySequence<byte> frame, IBufferWriter<byte> output) => inner.Encode(frame, output);

        public FrameEofKind ClassifyEof(in ReadOnlySequence<byte> remaining) => inner.ClassifyEof(remaining);
    }
}
