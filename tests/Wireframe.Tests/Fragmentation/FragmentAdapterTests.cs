using System.Buffers;
using System.Buffers.Binary;
using Wireframe.Connections;
using Wireframe.Fragmentation;
using Wireframe.Framing;
using Wireframe.Messages;
using Wireframe.Outbound;
using Wireframe.Testing;
using Wireframe.Tests.Support;
using static Wireframe.Tests.Fragmentation.FragmentKit;

namespace Wireframe.Tests.Fragmentation;

/// <summary>The fragment adapter in the one path: inbound reassembly before routing, outbound splitting in the writer.</summary>
public sealed class FragmentAdapterTests
{
    [Fact]
    public async Task A_split_request_reaches_its_handler_whole_and_its_reply_leaves_split_with_ids_on_every_fragment()
    {
        var received = new List<byte[]>();
        await using var host = WireframeTest.CreateHost(EchoApp(cap: 8, received: received));
        await using var client = host.Connect();
        byte[] payload = Payloads.Random(20, seed: 1);

        int sent = await client.SendFragmentsAsync(Message(Echo, payload, correlationId: 42));

        Assert.Equal(3, sent);
        var chunks = new List<byte[]>();
        for (int i = 0; i < 3; i++)
        {
            Envelope fragment = await client.ReadFrameAsync().AsTask().WaitAsync(Connections.TestKit.Safety);
            Assert.Equal(Echo, fragment.MessageId);
            Assert.Equal(42UL, fragment.CorrelationId);
            byte[] bytes = fragment.Payload.ToArray();
            Assert.Equal(i == 2 ? 0x03 : 0x02, bytes[0]);
            Assert.Equal((uint)i, BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(5)));
            chunks.Add(bytes[DefaultFragmentStrategy<Envelope>.SplitHeaderSize..]);
        }

        Assert.Equal([8, 8, 4], chunks.Select(c => c.Length));
        Assert.Equal(payload, chunks.SelectMany(c => c).ToArray());
        Assert.Equal(payload, Assert.Single(received));
        Assert.Equal(1, client.InboundMemory.MessagesReassembled);
    }

    [Fact]
    public async Task A_cap_of_3_splits_8_bytes_into_fragments_of_3_3_and_2()
    {
        await using var host = WireframeTest.CreateHost(EchoApp(cap: 3));
        await using var client = host.Connect();

        IReadOnlyList<byte[]> fragments = client.EncodeFragments(Message(Echo, [1, 2, 3, 4, 5, 6, 7, 8]));

        int[] chunkLengths = fragments.Select(bytes =>
        {
            var input = new ReadOnlySequence<byte>(bytes);
            Assert.Equal(DecodeStatus.Frame, host.Application.Codec.TryDecode(ref input, out Envelope frame).Status);
            return (int)frame.Payload.Length - DefaultFragmentStrategy<Envelope>.SplitHeaderSize;
        }).ToArray();
        Assert.Equal([3, 3, 2], chunkLengths);
    }

    [Fact]
    public async Task A_message_that_fits_carries_a_one_byte_header_that_the_handler_never_sees()
    {
        var received = new List<byte[]>();
        await using var host = WireframeTest.CreateHost(EchoApp(cap: 8, received: received));
        await using var client = host.Connect();

        await client.SendFragmentsAsync(Message(Echo, [9, 8, 7, 6, 5]));
        Envelope reply = await client.ReadFrameAsync().AsTask().WaitAsync(Connections.TestKit.Safety);

        Assert.Equal([9, 8, 7, 6, 5], Assert.Single(received));
        Assert.Equal([DefaultFragmentStrategy<Envelope>.LastFlag, 9, 8, 7, 6, 5], reply.Payload.ToArray());
        Assert.Equal(0, client.InboundMemory.MessagesReassembled);
    }

    [Fact]
    public async Task An_empty_message_round_trips_as_one_header_byte()
    {
        var received = new List<byte[]>();
        await using var host = WireframeTest.CreateHost(EchoApp(cap: 8, received: received));
        await using var client = host.Connect();

        await client.SendFragmentsAsync(Message(Echo, []));
        Envelope reply = await client.ReadMessageAsync().AsTask().WaitAsync(Connections.TestKit.Safety);

        Assert.Empty(Assert.Single(received));
        Assert.True(reply.Payload.IsEmpty);
    }

    [Fact]
    public async Task Interleaved_messages_reassemble_independently()
    {
        var received = new List<byte[]>();
        await using var host = WireframeTest.CreateHost(EchoApp(cap: 4, received: received));
        await using var client = host.Connect();
        byte[] first = Payloads.Random(12, seed: 2);
        byte[] second = Payloads.Random(10, seed: 3);
        IReadOnlyList<byte[]> a = client.EncodeFragments(Message(Echo, first), messageKey: 1);
        IReadOnlyList<byte[]> b = client.EncodeFragments(Message(Echo, second), messageKey: 2);

        foreach (byte[] fragment in new[] { a[0], b[0], b[1], a[1], b[2], a[2] })
        {
            await client.SendRawAsync(fragment);
        }

        Envelope replyB = await client.ReadMessageAsync().AsTask().WaitAsync(Connections.TestKit.Safety);
        Envelope replyA = await client.ReadMessageAsync().AsTask().WaitAsync(Connections.TestKit.Safety);
        Assert.Equal(second, replyB.Payload.ToArray());
        Assert.Equal(first, replyA.Payload.ToArray());
        Assert.Equal([second, first], received);
        Assert.Equal(0, client.InboundMemory.MessagesInReassembly);
        Assert.Equal(0, client.InboundMemory.BufferedBytes);
    }

    [Theory]
    [InlineData("out_of_order", "skipped an index")]
    [InlineData("duplicate", "repeated an index")]
    [InlineData("after_final", "not in reassembly")]
    public async Task A_broken_series_closes_the_connection_by_default_naming_the_error(string series, string detail)
    {
        await using var host = WireframeTest.CreateHost(EchoApp(cap: 4));
        await using var client = host.Connect();
        IReadOnlyList<byte[]> fragments = client.EncodeFragments(Message(Echo, Payloads.Random(12, seed: 4)));

        foreach (byte[] fragment in BrokenSeries(fragments, series))
        {
            await client.SendRawAsync(fragment);
        }

        DisconnectInfo closed = await ClosedAsync(client);
        Assert.Equal(DisconnectReason.ReassemblyFailed, closed.Reason);
        Assert.Contains(detail, closed.Detail, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("out_of_order")]
    [InlineData("duplicate")]
    [InlineData("after_final")]
    public async Task With_DropFrame_a_broken_series_loses_only_its_own_message(string series)
    {
        var received = new List<byte[]>();
        await using var host = WireframeTest.CreateHost(EchoApp(cap: 4, options => options.ReassemblyErrorAction = FrameErrorAction.DropFrame, received));
        await using var client = host.Connect();
        byte[] broken = Payloads.Random(12, seed: 5);
        byte[] good = Payloads.Random(9, seed: 6);
        IReadOnlyList<byte[]> fragments = client.EncodeFragments(Message(Echo, broken), messageKey: 1);

        foreach (byte[] fragment in BrokenSeries(fragments, series))
        {
            await client.SendRawAsync(fragment);
        }

        await client.SendFragmentsAsync(Message(Echo, good), messageKey: 2);
        int completed = series == "after_final" ? 2 : 1;
        var replies = new List<byte[]>();
        for (int i = 0; i < completed; i++)
        {
            replies.Add((await client.ReadMessageAsync().AsTask().WaitAsync(Connections.TestKit.Safety)).Payload.ToArray());
        }

        Assert.Equal(good, replies[^1]);
        Assert.DoesNotContain(received, r => r.Length != broken.Length && r.Length != good.Length);
        InboundMemoryStats memory = client.InboundMemory;
        Assert.True(memory.RefusedFragments >= 1, $"Expected a refused fragment, got {memory}.");
        Assert.Equal(0, memory.BufferedBytes);
        Assert.Equal(0, memory.MessagesInReassembly);
        Assert.False(client.Closed.IsCompleted);
    }

    [Fact]
    public async Task With_DropFrame_refusals_in_a_row_up_to_MaxConsecutiveFrameErrors_close_the_connection()
    {
        await using var host = WireframeTest.CreateHost(EchoApp(cap: 4, options => options.ReassemblyErrorAction = FrameErrorAction.DropFrame));
        await using var client = host.Connect();

        // Each is the second fragment of a message that never started: refused, dropped, but counted.
        for (ulong key = 1; key <= 3; key++)
        {
            await client.SendRawAsync(client.EncodeFragments(Message(Echo, new byte[12]), key)[1]);
        }

        DisconnectInfo closed = await ClosedAsync(client);
        Assert.Equal(DisconnectReason.ReassemblyFailed, closed.Reason);
        Assert.Contains("3 refused fragments in a row (WireframeOptions.MaxConsecutiveFrameErrors is 3)", closed.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_message_growing_past_MaxMessageSize_is_refused_its_partial_freed_and_the_next_message_served()
    {
        var received = new List<byte[]>();
        await using var host = WireframeTest.CreateHost(EchoApp(cap: 40, options =>
        {
            options.MaxMessageSize = 100;
            options.MaxBufferedBytesPerConnection = 1000;
            options.ReassemblyErrorAction = FrameErrorAction.DropFrame;
        }, received));
        await using var client = host.Connect();

        // 160 bytes in fragments of 40: the third would make 120 > 100; the fourth belongs to a freed message.
        await client.SendFragmentsAsync(Message(Echo, Payloads.Random(160, seed: 7)), messageKey: 1);
        await client.SendFragmentsAsync(Message(Echo, [1, 2, 3]), messageKey: 2);
        Envelope reply = await client.ReadMessageAsync().AsTask().WaitAsync(Connections.TestKit.Safety);

        Assert.Equal([1, 2, 3], reply.Payload.ToArray());
        Assert.Equal([1, 2, 3], Assert.Single(received));
        InboundMemoryStats memory = client.InboundMemory;
        Assert.Equal(2, memory.RefusedFragments);
        Assert.Equal(0, memory.BufferedBytes);
    }

    [Theory]
    [InlineData(40, 160)]
    [InlineData(1000, 150)]
    public async Task A_message_above_MaxMessageSize_split_or_whole_closes_by_default_with_the_option_named(int cap, int size)
    {
        await using var host = WireframeTest.CreateHost(EchoApp(cap, options =>
        {
            options.MaxMessageSize = 100;
            options.MaxBufferedBytesPerConnection = 1000;
        }));
        await using var client = host.Connect();

        await client.SendFragmentsAsync(Message(Echo, Payloads.Random(size, seed: size)));

        DisconnectInfo closed = await ClosedAsync(client);
        Assert.Equal(DisconnectReason.ReassemblyFailed, closed.Reason);
        Assert.Contains("WireframeOptions.MaxMessageSize (100 bytes)", closed.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_partial_message_is_evicted_when_ReassemblyTimeout_runs_out_on_the_manual_clock()
    {
        var received = new List<byte[]>();
        await using var host = WireframeTest.CreateHost(EchoApp(cap: 8, options =>
        {
            options.ReassemblyTimeout = TimeSpan.FromSeconds(10);
            options.ReassemblyErrorAction = FrameErrorAction.DropFrame;
        }, received));
        await using var client = host.Connect();
        IReadOnlyList<byte[]> fragments = client.EncodeFragments(Message(Echo, Payloads.Random(20, seed: 10)));

        await client.SendRawAsync(fragments[0]);
        await client.SendRawAsync(fragments[1]);
        await WaitUntilAsync(() => client.InboundMemory is { MessagesInReassembly: 1, BufferedBytes: 16 }, "two fragments buffered");

        host.Time.Advance(TimeSpan.FromSeconds(9));
        await client.SendFragmentsAsync(Message(Echo, [4]), messageKey: 9);
        await client.ReadMessageAsync().AsTask().WaitAsync(Connections.TestKit.Safety);
        Assert.Equal(0, client.InboundMemory.Evictions);
        Assert.Equal(1, client.InboundMemory.MessagesInReassembly);

        host.Time.Advance(TimeSpan.FromSeconds(1));
        await WaitUntilAsync(() => client.InboundMemory is { Evictions: 1, BufferedBytes: 0, MessagesInReassembly: 0 }, "the partial message evicted");

        // Its last fragment now belongs to nothing: refused, and the connection goes on.
        await client.SendRawAsync(fragments[2]);
        await client.SendFragmentsAsync(Message(Echo, [5]), messageKey: 9);
        Envelope reply = await client.ReadMessageAsync().AsTask().WaitAsync(Connections.TestKit.Safety);
        Assert.Equal([5], reply.Payload.ToArray());
        Assert.Equal(1, client.InboundMemory.RefusedFragments);
        Assert.Equal([[4], [5]], received);
    }

    [Fact]
    public async Task Partial_messages_past_MaxBufferedBytesPerConnection_close_the_connection()
    {
        await using var host = WireframeTest.CreateHost(EchoApp(cap: 100, options =>
        {
            options.MaxMessageSize = 1000;
            options.MaxBufferedBytesPerConnection = 1000;
        }));
        await using var client = host.Connect();

        for (ulong key = 1; key <= 10; key++)
        {
            await client.SendFragmentsAsync(Message(Echo, new byte[200]), key, fragmentCount: 1);
        }

        await WaitUntilAsync(() => client.InboundMemory.BufferedBytes == 1000, "the budget full");
        Assert.False(client.Closed.IsCompleted);
        await client.SendFragmentsAsync(Message(Echo, new byte[200]), messageKey: 11, fragmentCount: 1);

        DisconnectInfo closed = await ClosedAsync(client);
        Assert.Equal(DisconnectReason.MemoryBudgetExceeded, closed.Reason);
        Assert.Contains("WireframeOptions.MaxBufferedBytesPerConnection (1000 bytes)", closed.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task More_messages_in_reassembly_than_MaxMessagesInReassembly_close_the_connection()
    {
        await using var host = WireframeTest.CreateHost(EchoApp(cap: 4));
        await using var client = host.Connect();
        var options = host.Application.Options;

        for (ulong key = 1; key <= (ulong)options.MaxMessagesInReassembly + 1; key++)
        {
            await client.SendFragmentsAsync(Message(Echo, new byte[8]), key, fragmentCount: 1);
        }

        DisconnectInfo closed = await ClosedAsync(client);
        Assert.Equal(DisconnectReason.MemoryBudgetExceeded, closed.Reason);
        Assert.Contains("WireframeOptions.MaxMessagesInReassembly (64)", closed.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Thousands_of_partial_messages_never_finished_cannot_push_tracked_memory_past_the_budget()
    {
        const long budget = 256 * 1024;
        await using var host = WireframeTest.CreateHost(EchoApp(cap: 1024, options =>
        {
            options.MaxMessageSize = 64 * 1024;
            options.MaxBufferedBytesPerConnection = budget;
            options.MaxMessagesInReassembly = 10_000;
        }));
        await using var client = host.Connect();
        long peak = 0;
        int sent = 0;

        for (ulong key = 1; key <= 5_000 && !client.Closed.IsCompleted; key++)
        {
            await client.SendFragmentsAsync(Message(Echo, new byte[2048]), key, fragmentCount: 1);
            sent++;
            peak = Math.Max(peak, client.InboundMemory.BufferedBytes);
        }

        DisconnectInfo closed = await ClosedAsync(client);
        Assert.Equal(DisconnectReason.MemoryBudgetExceeded, closed.Reason);
        Assert.True(peak <= budget, $"Partial messages held {peak} bytes, above the {budget}-byte budget.");
        Assert.True(peak > budget / 2, $"Sampling saw at most {peak} bytes: it never watched the budget fill.");
        Assert.True(sent > budget / 1024, $"The connection closed after {sent} partial messages, before the budget was full.");
    }

    [Fact]
    public async Task A_malformed_fragment_header_falls_under_the_malformed_frame_policy()
    {
        var received = new List<byte[]>();
        await using var host = WireframeTest.CreateHost(EchoApp(cap: 8, received: received));
        await using var client = host.Connect();

        // Reserved flag bits: dropped (the default MalformedFrameAction), the connection goes on.
        await client.SendFrameAsync(Message(Echo, [0x80, 1, 2]));
        await client.SendFragmentsAsync(Message(Echo, [7]));
        Envelope reply = await client.ReadMessageAsync().AsTask().WaitAsync(Connections.TestKit.Safety);
        Assert.Equal([7], reply.Payload.ToArray());

        // Three in a row close it (MaxConsecutiveFrameErrors).
        await client.SendFrameAsync(Message(Echo, []));
        await client.SendFrameAsync(Message(Echo, [0x02, 0, 0]));
        await client.SendFrameAsync(Message(Echo, [0x00]));
        DisconnectInfo closed = await ClosedAsync(client);
        Assert.Equal(DisconnectReason.TooManyFrameErrors, closed.Reason);
        Assert.Equal([[7]], received);
    }

    [Fact]
    public async Task Fragmentation_applies_to_pushes_as_well_as_responses()
    {
        await using var host = WireframeTest.CreateHost(EchoApp(cap: 16));
        await using var client = host.Connect();
        byte[] big = Payloads.Random(100, seed: 11);
        await WaitUntilAsync(() => client.Server is not null, "the server side up");

        Assert.Equal(PushResult.Queued, client.Server!.Pushes.TryPush(Message(77, big), PushPriority.Low));

        Envelope pushed = await client.ReadMessageAsync().AsTask().WaitAsync(Connections.TestKit.Safety);
        Assert.Equal(77u, pushed.MessageId);
        Assert.Equal(big, pushed.Payload.ToArray());
    }

    [Fact]
    public async Task Every_item_of_a_streamed_response_is_split_and_comes_back_whole()
    {
        var app = WireframeApp.CreateBuilder(new LengthDelimitedOptions { MaxFrameLength = 1 << 20 }).UseFragmentation(64);
        app.RouteMany<ReadOnlySequence<byte>, byte[]>(Echo, (_, _) => Enumerable.Range(0, 3).Select(i => Payloads.Random(200 + i, seed: i)));
        await using var host = WireframeTest.CreateHost(app);
        await using var client = host.Connect();

        await client.SendFragmentsAsync(Message(Echo, [1], correlationId: 8));

        for (int i = 0; i < 3; i++)
        {
            Envelope item = await client.ReadMessageAsync().AsTask().WaitAsync(Connections.TestKit.Safety);
            Assert.Equal(8UL, item.CorrelationId);
            Assert.Equal(Payloads.Random(200 + i, seed: i), item.Payload.ToArray());
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_high_priority_push_goes_between_fragments_only_where_the_strategy_allows(bool interleaving)
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var app = WireframeApp.CreateBuilder(new LengthDelimitedOptions { MaxFrameLength = 1 << 20 })
            .UseFragmentation(new InterleavingSwitch(new DefaultFragmentStrategy<Envelope>(16), interleaving))
            .Configure(options => options.MaxUnflushedBytes = 1);
        byte[] big = Payloads.Random(16 * 8, seed: 12);
        app.Route<ReadOnlySequence<byte>, byte[]>(Echo, (_, _) => big);
        await using var host = WireframeTest.CreateHost(app);

        // The client reads nothing yet, so the writer blocks on its first flush in the middle of the message.
        await using var client = host.ConnectSlow(windowBytes: 1);
        // Both directions pause at one byte: the request's send completes only once the server is done with it.
        Task sending = client.SendFragmentsAsync(Message(Echo, [1])).AsTask();
        await WaitUntilAsync(() => client.Server is { } server && server.Writer.IsFlushWaiting, "the writer blocked mid-message");
        Assert.Equal(PushResult.Queued, client.Server!.Pushes.TryPush(Message(99, [0xAA]), PushPriority.High));

        var frames = new List<Envelope>();
        for (int i = 0; i < 9; i++)
        {
            frames.Add(await client.ReadFrameAsync().AsTask().WaitAsync(Connections.TestKit.Safety));
        }

        await sending.WaitAsync(Connections.TestKit.Safety);
        int push = frames.FindIndex(f => f.MessageId == 99);
        if (interleaving)
        {
            Assert.InRange(push, 1, 7);
        }
        else
        {
            Assert.Equal(8, push);
        }

        byte[] joined = frames.Where(f => f.MessageId == Echo).SelectMany(f => f.Payload.ToArray()[DefaultFragmentStrategy<Envelope>.SplitHeaderSize..]).ToArray();
        Assert.Equal(big, joined);
    }

    private static IEnumerable<byte[]> BrokenSeries(IReadOnlyList<byte[]> fragments, string series) => series switch
    {
        "out_of_order" => [fragments[0], fragments[2]],
        "duplicate" => [fragments[0], fragments[0]],
        _ => [.. fragments, fragments[1]],
    };

    /// <summary>The default strategy with interleaving switched on or off.</summary>
    private sealed class InterleavingSwitch(DefaultFragmentStrategy<Envelope> inner, bool allows) : IFragmentStrategy<Envelope>
    {
        public bool AllowsInterleaving => allows;

        public bool ShouldFragment(in Envelope frame) => inner.ShouldFragment(frame);

        public int GetMaxFragmentPayload(in Envelope frame) => inner.GetMaxFragmentPayload(frame);

        public void EncodeHeader(in Envelope frame, in FragmentHeader header, int chunkLength, IBufferWriter<byte> output) =>
            inner.EncodeHeader(frame, header, chunkLength, output);

        public FragmentDecodeStatus DecodeHeader(in Envelope frame, ReadOnlySequence<byte> payload, out FragmentHeader header, out int headerLength) =>
            inner.DecodeHeader(frame, payload, out header, out headerLength);
    }
}
