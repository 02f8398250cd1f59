using System.Buffers;
using System.IO.Pipelines;
using FsCheck;
using FsCheck.Fluent;
using Wireframe.Connections;
using Wireframe.Framing;
using Wireframe.Testing;
using Wireframe.Tests.Framing;
using Wireframe.Tests.Support;
using static Wireframe.Tests.Connections.TestKit;

namespace Wireframe.Tests.Connections;

/// <summary>
/// With the built-in length-delimited codec and raw frames, the read loop finds the whole frames of
/// each input segment itself and hands the rest (frames that straddle segments, incomplete or
/// invalid ones) to the general decoder. Users see one behaviour whichever path a frame takes:
/// every frame answered in order, the frame-error policy applied, a stop honoured.
/// </summary>
public sealed class WholeFrameReadTests
{
    [Fact]
    public void Raw_echo_returns_every_frame_whatever_the_prefix_options_and_the_input_segments()
    {
        Gen<(FramingCase, byte[][], int[])> gen =
            from c in FramingGen.UsableCase()
            from count in Gen.Choose(0, 24)
            from payloads in Gen.ArrayOf(FramingGen.Payload(c), count)
            from cuts in FramingGen.Cuts
            select (c, payloads, cuts);

        Check.One(FramingGen.Config.WithMaxTest(150), Prop.ForAll(Arb.From(gen), ((FramingCase Case, byte[][] Payloads, int[] Cuts) t) =>
        {
            byte[] stream = [.. t.Payloads.SelectMany(t.Case.Frame)];

            // One read hands the server the whole stream in these segments, then the end of input.
            byte[] echoed = EchoOneReadAsync(t.Case.Options, Segments.Split(stream, t.Cuts)).GetAwaiter().GetResult();

            Assert.Equal(stream, echoed);
        }));
    }

    [Fact]
    public async Task A_frame_found_in_a_later_read_ends_the_streak_of_bad_frames_before_it()
    {
        // Each read is [good][oversized]: the good frame opens the read, so the read loop finds it
        // itself, and it must reset the count of consecutive errors as a decoded frame would.
        var app = WireframeApp.CreateRawBuilder(new LengthDelimitedOptions { MaxFrameLength = 8 })
            .Configure(o =>
            {
                o.OversizedFrameAction = FrameErrorAction.DropFrame;
                o.MaxConsecutiveFrameErrors = 2;
            });
        app.Route<ReadOnlySequence<byte>, ReadOnlySequence<byte>>(0, (frame, _) => frame);
        await using var host = WireframeTest.CreateHost(app);
        await using var client = host.Connect();

        for (int i = 0; i < 4; i++)
        {
            string good = $"good{i}";
            await client.SendRawAsync((byte[])[.. Prefix((uint)good.Length), .. Utf8(good), .. Prefix(9), .. new byte[9]]);
            Assert.Equal(good, (await client.ReadFrameAsync().Within()).Text());
        }

        await client.CompleteAsync();
        Assert.Equal(DisconnectReason.PeerClosed, (await client.ClosedAsync()).Reason);
    }

    [Fact]
    public async Task A_request_that_completes_later_holds_the_rest_of_the_read_until_it_is_answered()
    {
        var app = WireframeApp.CreateRawBuilder();
        app.Route<ReadOnlySequence<byte>, ReadOnlySequence<byte>>(0, async (frame, _) =>
        {
            if (frame.FirstSpan[0] == (byte)'y')
            {
                await Task.Yield();
            }

            return frame;
        });
        await using var host = WireframeTest.CreateHost(app);
        await using var client = host.Connect();
        string[] texts = ["a", "yb", "c", "yd", "ye", "f"];

        await client.SendRawAsync(texts.SelectMany(text => (byte[])[.. Prefix((uint)text.Length), .. Utf8(text)]).ToArray());

        foreach (string text in texts)
        {
            Assert.Equal(text, (await client.ReadFrameAsync().Within()).Text());
        }
    }

    [Fact]
    public async Task Frames_after_the_one_whose_handler_closes_the_connection_are_not_handled()
    {
        var handled = new List<string>();
        var app = WireframeApp.CreateRawBuilder();
        app.Route<ReadOnlySequence<byte>, ReadOnlySequence<byte>>(0, (frame, context) =>
        {
            string text = frame.Text();
            handled.Add(text);
            if (text == "stop")
            {
                context.Connection.Close();
            }

            return frame;
        });
        await using var host = WireframeTest.CreateHost(app);
        await using var client = host.Connect();

        await client.SendRawAsync(new[] { "a", "stop", "b", "c" }.SelectMany(text => (byte[])[.. Prefix((uint)text.Length), .. Utf8(text)]).ToArray());

        Assert.Equal(DisconnectReason.ClosedByApplication, (await client.ClosedAsync()).Reason);
        Assert.Equal(["a", "stop"], handled);
    }

    /// <summary>Serves one connection whose input is exactly <paramref name="input"/> and returns what it wrote.</summary>
    private static async Task<byte[]> EchoOneReadAsync(LengthDelimitedOptions framing, ReadOnlySequence<byte> input)
    {
        var app = WireframeApp.CreateRawBuilder(framing);
        app.Route<ReadOnlySequence<byte>, ReadOnlySequence<byte>>(0, (frame, _) => frame);
        await using var host = WireframeTest.CreateHost(app);
        var context = new InMemoryConnectionContext();
        context.Transport = new DuplexPipe(PipeReader.Create(input), context.Transport.Output);

        DisconnectInfo outcome = await host.Handler.ServeAsync(context).Within();
        Assert.Equal(DisconnectReason.PeerClosed, outcome.Reason);

        var echoed = new ArrayBufferWriter<byte>();
        PipeReader output = context.Application.Input;
        while (true)
        {
            ReadResult result = await output.ReadAsync().Within();
            foreach (ReadOnlyMemory<byte> segment in result.Buffer)
            {
                echoed.Write(segment.Span);
            }

            output.AdvanceTo(result.Buffer.End);
            if (result.IsCompleted)
            {
                return echoed.WrittenSpan.ToArray();
            }
        }
    }
}
