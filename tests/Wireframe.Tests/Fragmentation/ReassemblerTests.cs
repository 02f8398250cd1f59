using System.Buffers;
using Wireframe.Fragmentation;
using Wireframe.Testing;
using Wireframe.Tests.Support;

namespace Wireframe.Tests.Fragmentation;

/// <summary>
/// The reassembly rules and limits of <see cref="Reassembler"/>: strict series per message key,
/// several messages at once, and every limit freeing the partial message it stops.
/// </summary>
public sealed class ReassemblerTests
{
    private static readonly ReassemblyLimits Limits = new()
    {
        MaxMessageSize = 64,
        MaxBufferedBytes = 100,
        MaxConcurrentMessages = 4,
        Timeout = TimeSpan.FromSeconds(30),
    };

    private readonly ManualTimeProvider _time = new();

    private static ReadOnlySequence<byte> Bytes(params byte[] bytes) => new(bytes);

    private static ReadOnlySequence<byte> Filled(int length, byte value = 7) => new(Enumerable.Repeat(value, length).ToArray());

    private Reassembler Create(ReassemblyLimits? limits = null) => new(limits ?? Limits, _time);

    private static ReassemblyOutcome Feed(Reassembler reassembler, ulong key, uint index, bool last, ReadOnlySequence<byte> chunk) =>
        reassembler.Accept(new FragmentHeader(key, index, last), chunk, out ReassembledMessage message, out _) is var outcome && outcome == ReassemblyOutcome.Completed
            ? Dispose(message, outcome)
            : outcome;

    private static ReassemblyOutcome Dispose(ReassembledMessage message, ReassemblyOutcome outcome)
    {
        message.Dispose();
        return outcome;
    }

    private static ReassemblyError Refusal(Reassembler reassembler, ulong key, uint index, bool last, ReadOnlySequence<byte> chunk)
    {
        Assert.Equal(ReassemblyOutcome.Refused, reassembler.Accept(new FragmentHeader(key, index, last), chunk, out _, out ReassemblyError error));
        return error;
    }

    [Fact]
    public void The_largest_index_may_only_be_the_last_fragment()
    {
        using Reassembler reassembler = Create();
        Assert.Equal(ReassemblyOutcome.Buffered, Feed(reassembler, 1, 0, false, Filled(2)));
        reassembler.SkipAheadForTests(1, uint.MaxValue);

        // A non-final fragment at the last index could never be followed: refused, message freed.
        Assert.Equal(ReassemblyError.IndexOverflow, Refusal(reassembler, 1, uint.MaxValue, false, Filled(2)));
        Assert.Equal(0, reassembler.InProgress);
        Assert.Equal(0, reassembler.BufferedBytes);

        // As the final fragment it completes the message.
        Assert.Equal(ReassemblyOutcome.Buffered, Feed(reassembler, 2, 0, false, Filled(2)));
        reassembler.SkipAheadForTests(2, uint.MaxValue);
        Assert.Equal(ReassemblyOutcome.Completed, reassembler.Accept(new FragmentHeader(2, uint.MaxValue, true), Filled(3), out ReassembledMessage message, out _));
        using (message)
        {
            Assert.Equal(5, message.Payload.Length);
        }
    }

    [Fact]
    public void Fragments_0_1_2_with_the_last_marked_give_back_the_bytes_in_order()
    {
        using Reassembler reassembler = Create();
        Assert.Equal(ReassemblyOutcome.Buffered, Feed(reassembler, 1, 0, false, Bytes(1, 2, 3)));
        Assert.Equal(ReassemblyOutcome.Buffered, Feed(reassembler, 1, 1, false, Bytes(4, 5, 6)));
        Assert.Equal(6, reassembler.BufferedBytes);

        Assert.Equal(ReassemblyOutcome.Completed, reassembler.Accept(new FragmentHeader(1, 2, true), Bytes(7, 8), out ReassembledMessage message, out _));
        using (message)
        {
            Assert.Equal([1, 2, 3, 4, 5, 6, 7, 8], message.Payload.ToArray());
            Assert.Equal(1UL, message.MessageKey);
        }

        Assert.Equal(0, reassembler.InProgress);
        Assert.Equal(0, reassembler.BufferedBytes);
    }

    [Fact]
    public void A_single_final_fragment_is_a_whole_message_without_a_copy()
    {
        using Reassembler reassembler = Create();
        ReadOnlySequence<byte> chunk = Bytes(9, 9);
        Assert.Equal(ReassemblyOutcome.Completed, reassembler.Accept(new FragmentHeader(3, 0, true), chunk, out ReassembledMessage message, out _));
        Assert.Equal(chunk, message.Payload);
        message.Dispose();
        Assert.Equal(0, reassembler.InProgress);
    }

    [Fact]
    public void A_zero_length_final_fragment_completes_a_message()
    {
        using Reassembler reassembler = Create();
        Feed(reassembler, 1, 0, false, Bytes(1, 2));
        Assert.Equal(ReassemblyOutcome.Completed, reassembler.Accept(new FragmentHeader(1, 1, true), ReadOnlySequence<byte>.Empty, out ReassembledMessage message, out _));
        using (message)
        {
            Assert.Equal([1, 2], message.Payload.ToArray());
        }
    }

    [Fact]
    public void Interleaved_messages_reassemble_independently()
    {
        using Reassembler reassembler = Create();
        Feed(reassembler, 1, 0, false, Bytes(1));
        Feed(reassembler, 2, 0, false, Bytes(21));
        Feed(reassembler, 1, 1, false, Bytes(2));
        Assert.Equal(2, reassembler.InProgress);

        Assert.Equal(ReassemblyOutcome.Completed, reassembler.Accept(new FragmentHeader(2, 1, true), Bytes(22), out ReassembledMessage second, out _));
        Assert.Equal(ReassemblyOutcome.Completed, reassembler.Accept(new FragmentHeader(1, 2, true), Bytes(3), out ReassembledMessage first, out _));
        using (first)
        using (second)
        {
            Assert.Equal([1, 2, 3], first.Payload.ToArray());
            Assert.Equal([21, 22], second.Payload.ToArray());
        }
    }

    [Fact]
    public void A_fragment_without_its_start_or_after_the_final_one_is_refused_as_missing_start()
    {
        using Reassembler reassembler = Create();
        Assert.Equal(ReassemblyError.MissingStart, Refusal(reassembler, 5, 1, false, Bytes(1)));

        Feed(reassembler, 6, 0, false, Bytes(1));
        Assert.Equal(ReassemblyOutcome.Completed, Feed(reassembler, 6, 1, true, Bytes(2)));
        Assert.Equal(ReassemblyError.MissingStart, Refusal(reassembler, 6, 2, false, Bytes(3)));
    }

    [Fact]
    public void A_gap_is_out_of_order_a_repeat_is_a_duplicate_and_both_free_the_partial_message()
    {
        using Reassembler reassembler = Create();
        Feed(reassembler, 1, 0, false, Bytes(1, 1));
        Assert.Equal(ReassemblyError.OutOfOrder, Refusal(reassembler, 1, 2, false, Bytes(3)));
        Assert.Equal(0, reassembler.InProgress);
        Assert.Equal(0, reassembler.BufferedBytes);

        Feed(reassembler, 1, 0, false, Bytes(1));
        Feed(reassembler, 1, 1, false, Bytes(2));
        Assert.Equal(ReassemblyError.Duplicate, Refusal(reassembler, 1, 1, false, Bytes(2)));
        Assert.Equal(0, reassembler.BufferedBytes);

        // A second start for a key in reassembly is a duplicate of index 0.
        Feed(reassembler, 1, 0, false, Bytes(1));
        Assert.Equal(ReassemblyError.Duplicate, Refusal(reassembler, 1, 0, false, Bytes(1)));

        // The key is free again afterwards.
        Feed(reassembler, 1, 0, false, Bytes(4));
        Assert.Equal(ReassemblyOutcome.Completed, Feed(reassembler, 1, 1, true, Bytes(5)));
    }

    [Fact]
    public void A_message_that_would_exceed_the_maximum_size_is_refused_and_its_bytes_freed()
    {
        using Reassembler reassembler = Create();
        Feed(reassembler, 1, 0, false, Filled(40));
        Assert.Equal(ReassemblyError.MessageTooLarge, Refusal(reassembler, 1, 1, true, Filled(25)));
        Assert.Equal(0, reassembler.BufferedBytes);
        Assert.Equal(0, reassembler.InProgress);

        // Exactly the maximum is fine, even in one fragment.
        Assert.Equal(ReassemblyOutcome.Completed, Feed(reassembler, 2, 0, true, Filled(64)));
        Assert.Equal(ReassemblyError.MessageTooLarge, Refusal(reassembler, 3, 0, true, Filled(65)));
    }

    [Fact]
    public void Partial_messages_never_hold_more_than_the_buffer_budget()
    {
        using Reassembler reassembler = Create();
        Feed(reassembler, 1, 0, false, Filled(50));
        Feed(reassembler, 2, 0, false, Filled(40));
        Assert.True(reassembler.IsOverSoftLimit, "90 of 100 bytes is past the 80 % soft limit.");

        Assert.Equal(ReassemblyError.BufferBudgetExceeded, Refusal(reassembler, 3, 0, false, Filled(11)));
        Assert.Equal(90, reassembler.BufferedBytes);

        // A fragment that would push an existing message over the budget ends that message.
        Assert.Equal(ReassemblyError.BufferBudgetExceeded, Refusal(reassembler, 2, 1, false, Filled(11)));
        Assert.Equal(50, reassembler.BufferedBytes);
        Assert.False(reassembler.IsOverSoftLimit);
    }

    [Fact]
    public void Only_the_configured_number_of_messages_may_be_in_reassembly_at_once()
    {
        using Reassembler reassembler = Create();
        for (ulong key = 1; key <= 4; key++)
        {
            Assert.Equal(ReassemblyOutcome.Buffered, Feed(reassembler, key, 0, false, Bytes(1)));
        }

        Assert.Equal(ReassemblyError.TooManyMessages, Refusal(reassembler, 5, 0, false, Bytes(1)));

        // A single-fragment message needs no slot.
        Assert.Equal(ReassemblyOutcome.Completed, Feed(reassembler, 6, 0, true, Bytes(1)));
    }

    [Fact]
    public void A_partial_message_expires_at_the_timeout_measured_from_its_first_fragment()
    {
        using Reassembler reassembler = Create();
        Feed(reassembler, 1, 0, false, Filled(10));
        _time.Advance(TimeSpan.FromSeconds(20));
        Feed(reassembler, 2, 0, false, Filled(10));
        Feed(reassembler, 1, 1, false, Filled(10));

        _time.Advance(TimeSpan.FromSeconds(10) - TimeSpan.FromTicks(1));
        Assert.Equal(0, reassembler.PurgeExpired());

        _time.Advance(TimeSpan.FromTicks(1));
        Assert.Equal(1, reassembler.PurgeExpired());
        Assert.Equal(1, reassembler.InProgress);
        Assert.Equal(10, reassembler.BufferedBytes);
        Assert.Equal(ReassemblyError.MissingStart, Refusal(reassembler, 1, 2, true, Bytes(1)));

        // A fragment that arrives for an expired message before the purge is refused as expired.
        _time.Advance(TimeSpan.FromSeconds(20));
        Assert.Equal(ReassemblyError.Expired, Refusal(reassembler, 2, 1, true, Bytes(1)));
        Assert.Equal(0, reassembler.BufferedBytes);
    }

    [Fact]
    public void Fragments_spread_over_several_segments_are_joined_byte_for_byte()
    {
        using Reassembler reassembler = Create();
        ReadOnlySequence<byte> split = Segments.At([1, 2, 3, 4, 5, 6], 2, 3);
        Feed(reassembler, 1, 0, false, split);
        Assert.Equal(ReassemblyOutcome.Completed, reassembler.Accept(new FragmentHeader(1, 1, true), Segments.At([7, 8], 1), out ReassembledMessage message, out _));
        using (message)
        {
            Assert.Equal([1, 2, 3, 4, 5, 6, 7, 8], message.Payload.ToArray());
        }
    }

    [Fact]
    public void Thousands_of_never_finished_messages_cannot_hold_more_than_the_budget()
    {
        var limits = new ReassemblyLimits { MaxMessageSize = 4096, MaxBufferedBytes = 64 * 1024, MaxConcurrentMessages = 10_000, Timeout = TimeSpan.FromSeconds(30) };
        using Reassembler reassembler = Create(limits);
        int refused = 0;
        for (ulong key = 0; key < 5_000; key++)
        {
            if (Feed(reassembler, key, 0, false, Filled(1000)) == ReassemblyOutcome.Refused)
            {
                refused++;
            }

            Assert.True(reassembler.BufferedBytes <= limits.MaxBufferedBytes);
        }

        Assert.Equal(5_000 - 65, refused);
        _time.Advance(limits.Timeout);
        Assert.Equal(65, reassembler.PurgeExpired());
        Assert.Equal(0, reassembler.BufferedBytes);
    }

    [Fact]
    public void Any_two_messages_sliced_at_any_cap_and_interleaved_in_any_way_come_back_byte_identical()
    {
        var limits = new ReassemblyLimits { MaxMessageSize = 4096, MaxBufferedBytes = 8192, MaxConcurrentMessages = 2, Timeout = TimeSpan.FromSeconds(30) };
        var random = new Random(20261128);
        for (int run = 0; run < 500; run++)
        {
            using Reassembler reassembler = Create(limits);
            byte[][] messages = [RandomBytes(random, random.Next(0, 4097)), RandomBytes(random, random.Next(0, 4097))];
            List<(ulong Key, uint Index, bool Last, byte[] Chunk)>[] fragments = [Fragments(messages[0], 0, random.Next(1, 600)), Fragments(messages[1], 1, random.Next(1, 600))];
            var next = new int[2];
            var done = new byte[2][];
            while (next[0] < fragments[0].Count || next[1] < fragments[1].Count)
            {
                int pick = next[0] == fragments[0].Count ? 1 : next[1] == fragments[1].Count ? 0 : random.Next(2);
                var f = fragments[pick][next[pick]++];
                ReassemblyOutcome outcome = reassembler.Accept(new FragmentHeader(f.Key, f.Index, f.Last), new ReadOnlySequence<byte>(f.Chunk), out ReassembledMessage message, out ReassemblyError error);
                Assert.True(outcome != ReassemblyOutcome.Refused, $"run {run}: refused {error}");
                if (outcome == ReassemblyOutcome.Completed)
                {
                    using (message)
                    {
                        done[pick] = message.Payload.ToArray();
                    }
                }
            }

            Assert.Equal(messages[0], done[0]);
            Assert.Equal(messages[1], done[1]);
            Assert.Equal(0, reassembler.BufferedBytes);
        }
    }

    private static byte[] RandomBytes(Random random, int length)
    {
        byte[] bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }

    /// <summary>Splits with the outbound <see cref="FragmentSlicer"/>, so this is a round trip through both halves.</summary>
    private static List<(ulong Key, uint Index, bool Last, byte[] Chunk)> Fragments(byte[] message, ulong key, int cap)
    {
        var fragments = new List<(ulong, uint, bool, byte[])>();
        var slicer = new FragmentSlicer(new ReadOnlySequence<byte>(message), cap);
        while (slicer.MoveNext())
        {
            fragments.Add((key, slicer.Index, slicer.IsLast, slicer.Chunk.ToArray()));
        }

        return fragments;
    }
}
