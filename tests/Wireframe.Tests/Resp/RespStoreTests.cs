using Wireframe.Examples.Resp;

namespace Wireframe.Tests.Resp;

public sealed class RespStoreTests
{
    [Fact]
    public async Task Concurrent_increments_lose_no_update()
    {
        var store = new RespStore();
        const int Workers = 4;
        const int PerWorker = 2_000;

        await Task.WhenAll(Enumerable.Range(0, Workers).Select(_ => Task.Run(() =>
        {
            for (int i = 0; i < PerWorker; i++)
            {
                Assert.Equal(IncrementResult.Done, store.TryIncrement("n"u8, 1, out long _));
            }
        })));

        Assert.True(store.TryGet("n"u8, out byte[]? value));
        Assert.Equal((Workers * PerWorker).ToString(System.Globalization.CultureInfo.InvariantCulture), System.Text.Encoding.ASCII.GetString(value));
    }

    [Fact]
    public async Task Concurrent_set_if_absent_has_exactly_one_winner()
    {
        var store = new RespStore();

        bool[] won = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => Task.Run(() =>
            store.Set("k"u8, [(byte)i], SetCondition.IfAbsent, out _))));

        Assert.Equal(1, won.Count(w => w));
        Assert.True(store.TryGet("k"u8, out byte[]? value));
        Assert.Equal(Array.IndexOf(won, true), value[0]);
    }

    [Fact]
    public void Keys_are_compared_by_content_and_copied_on_insert()
    {
        var store = new RespStore();
        byte[] key = [1, 2, 3];

        store.Set(key, [9]);
        key[0] = 7;

        Assert.True(store.TryGet([1, 2, 3], out byte[]? value));
        Assert.Equal([9], value);
        Assert.False(store.ContainsKey(key));
        Assert.True(store.Remove([1, 2, 3]));
        Assert.Equal(0, store.Count);
    }
}
