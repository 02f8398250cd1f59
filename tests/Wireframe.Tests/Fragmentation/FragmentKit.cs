using System.Buffers;
using System.Buffers.Binary;
using Wireframe.Connections;
using Wireframe.Framing;
using Wireframe.Messages;
using Wireframe.Routing;
using Wireframe.Testing;

namespace Wireframe.Tests.Fragmentation;

/// <summary>Apps and helpers for the fragment adapter tests.</summary>
internal static class FragmentKit
{
    public const uint Echo = 1;
    public const uint Size = 2;

    /// <summary>The message id the streamed-body tests route to a <c>MessageBody</c> handler.</summary>
    public const uint Upload = 9;

    /// <summary>A generous bound so a broken test fails instead of hanging; never a timing assertion.</summary>
    public static readonly TimeSpan Safety = Connections.TestKit.Safety;

    /// <summary>
    /// An app with the default fragment strategy: message <see cref="Echo"/> comes back as sent,
    /// message <see cref="Size"/> answers with the length it received (i64, big-endian).
    /// </summary>
    public static WireframeAppBuilder<Envelope> EchoApp(int cap, Action<WireframeOptions>? configure = null, List<byte[]>? received = null)
    {
        var app = WireframeApp.CreateBuilder(new LengthDelimitedOptions { MaxFrameLength = 64 * 1024 * 1024 })
            .UseFragmentation(cap);
        if (configure is not null)
        {
            app.Configure(configure);
        }

        app.Route<ReadOnlySequence<byte>, ReadOnlySequence<byte>>(Echo, (payload, _) =>
        {
            if (received is not null)
            {
                lock (received)
                {
                    received.Add(payload.ToArray());
                }
            }

            return payload;
        });
        app.Route<ReadOnlySequence<byte>, byte[]>(Size, (payload, _) =>
        {
            byte[] length = new byte[8];
            BinaryPrimitives.WriteInt64BigEndian(length, payload.Length);
            return length;
        });
        return app;
    }

    public static Envelope Message(uint id, byte[] payload, ulong? correlationId = null) => new(id, correlationId, payload.AsMemory());

    /// <summary>Waits for a condition the server reaches on its own; bounded so a broken test fails instead of hanging.</summary>
    public static async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + Connections.TestKit.Safety;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"Never reached: {what}.");
            await Task.Delay(2);
        }
    }

    public static async Task<DisconnectInfo> ClosedAsync<TFrame>(TestConnection<TFrame> connection) => await connection.Closed.WaitAsync(Connections.TestKit.Safety);
}
