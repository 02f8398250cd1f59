using System.Buffers;
using Wireframe.Messages;
using Wireframe.Testing;
using static Wireframe.Tests.Fragmentation.FragmentKit;

namespace Wireframe.Tests.Fragmentation;

/// <summary>
/// Round trip through the whole adapter: any two messages up to the maximum, any cap, any
/// interleaving of their fragments, any cut of the bytes into reads, come back byte-identical.
/// </summary>
public sealed class FragmentRoundTripPropertyTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public async Task Two_interleaved_messages_of_any_size_and_cap_reassemble_byte_identical(int seed)
    {
        const int maxMessage = 4096;
        var random = new Random(seed);
        for (int round = 0; round < 40; round++)
        {
            int cap = random.Next(1, 300);
            var received = new List<byte[]>();
            await using var host = WireframeTest.CreateHost(EchoApp(cap, options => options.MaxMessageSize = maxMessage, received));
            await using var client = host.Connect();
            byte[] first = RandomBytes(random, random.Next(0, maxMessage + 1));
            byte[] second = RandomBytes(random, random.Next(0, maxMessage + 1));
            IReadOnlyList<byte[]> a = client.EncodeFragments(Message(Echo, first, correlationId: 1), messageKey: 1);
            IReadOnlyList<byte[]> b = client.EncodeFragments(Message(Echo, second, correlationId: 2), messageKey: 2);

            // A random merge that keeps each message's own order.
            var wire = new List<byte>();
            int i = 0, j = 0;
            ulong firstDone = 0;
            while (i < a.Count || j < b.Count)
            {
                bool takeA = j == b.Count || (i < a.Count && random.Next(2) == 0);
                wire.AddRange(takeA ? a[i++] : b[j++]);
                if (firstDone == 0 && (i == a.Count || j == b.Count))
                {
                    firstDone = i == a.Count ? 1UL : 2UL;
                }
            }

            await client.SendRawAsync(wire.ToArray(), chunkSize: random.Next(1, 64));
            Envelope one = await client.ReadMessageAsync().AsTask().WaitAsync(Connections.TestKit.Safety);
            Envelope two = await client.ReadMessageAsync().AsTask().WaitAsync(Connections.TestKit.Safety);

            string context = $"seed {seed}, round {round}, cap {cap}, sizes {first.Length}/{second.Length}";
            Assert.True(firstDone == one.CorrelationId, $"Completion order wrong ({context}).");
            Assert.True((one.CorrelationId == 1 ? first : second).AsSpan().SequenceEqual(one.Payload.ToArray()), $"First reply differs ({context}).");
            Assert.True((two.CorrelationId == 1 ? first : second).AsSpan().SequenceEqual(two.Payload.ToArray()), $"Second reply differs ({context}).");
            Assert.Equal(2, received.Count);
            Assert.Equal(0, client.InboundMemory.BufferedBytes);
        }
    }

    private static byte[] RandomBytes(Random random, int length)
    {
        byte[] bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }
}
