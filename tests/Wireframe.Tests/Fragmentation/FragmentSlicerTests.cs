using System.Buffers;
using Wireframe.Fragmentation;
using Wireframe.Tests.Support;

namespace Wireframe.Tests.Fragmentation;

/// <summary>Outbound splitting: sizes, order, the last-fragment mark, and no copy.</summary>
public sealed class FragmentSlicerTests
{
    private static List<(uint Index, bool Last, byte[] Bytes)> Slice(ReadOnlySequence<byte> payload, int cap)
    {
        var fragments = new List<(uint, bool, byte[])>();
        var slicer = new FragmentSlicer(payload, cap);
        while (slicer.MoveNext())
        {
            fragments.Add((slicer.Index, slicer.IsLast, slicer.Chunk.ToArray()));
        }

        return fragments;
    }

    [Fact]
    public void A_cap_of_3_on_8_bytes_gives_3_3_2_with_only_the_last_marked()
    {
        List<(uint Index, bool Last, byte[] Bytes)> fragments = Slice(new ReadOnlySequence<byte>([1, 2, 3, 4, 5, 6, 7, 8]), 3);

        Assert.Equal([0u, 1u, 2u], fragments.Select(f => f.Index));
        Assert.Equal([false, false, true], fragments.Select(f => f.Last));
        Assert.Equal([[1, 2, 3], [4, 5, 6], [7, 8]], fragments.Select(f => f.Bytes));
    }

    [Fact]
    public void An_exact_multiple_of_the_cap_ends_with_a_full_fragment_not_an_empty_one()
    {
        List<(uint Index, bool Last, byte[] Bytes)> fragments = Slice(new ReadOnlySequence<byte>(new byte[6]), 3);
        Assert.Equal([3, 3], fragments.Select(f => f.Bytes.Length));
        Assert.True(fragments[^1].Last);
    }

    [Fact]
    public void An_empty_payload_is_one_empty_final_fragment()
    {
        (uint Index, bool Last, byte[] Bytes) only = Assert.Single(Slice(ReadOnlySequence<byte>.Empty, 3));
        Assert.Equal((0u, true, 0), (only.Index, only.Last, only.Bytes.Length));
    }

    [Fact]
    public void Fragments_are_slices_of_the_payload_across_its_segments()
    {
        byte[] data = Enumerable.Range(0, 10).Select(i => (byte)i).ToArray();
        ReadOnlySequence<byte> payload = Segments.At(data, 2, 5, 9);
        var slicer = new FragmentSlicer(payload, 4);
        var joined = new List<byte>();
        while (slicer.MoveNext())
        {
            Assert.True(slicer.Chunk.Length <= 4);
            joined.AddRange(slicer.Chunk.ToArray());
        }

        Assert.Equal(data, joined);
    }

    [Fact]
    public void A_cap_that_is_not_positive_is_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new FragmentSlicer(ReadOnlySequence<byte>.Empty, 0));
    }
}
