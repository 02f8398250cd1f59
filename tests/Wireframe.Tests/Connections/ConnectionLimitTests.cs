using Wireframe.Connections;
using Wireframe.Testing;
using static Wireframe.Tests.Connections.TestKit;

namespace Wireframe.Tests.Connections;

public sealed class ConnectionLimitTests
{
    [Fact]
    public async Task Connections_beyond_MaxConcurrentConnections_are_refused_and_a_freed_slot_is_reused()
    {
        var app = WireframeApp.CreateBuilder().Configure(o => o.MaxConcurrentConnections = 2);
        app.Route<byte[], byte[]>(1, (request, _) => request);
        await using var host = WireframeTest.CreateHost(app);
        await using var first = host.Connect();
        await using var second = host.Connect();

        await using var third = host.Connect();
        DisconnectInfo refused = await third.ClosedAsync();
        Assert.Equal(DisconnectReason.Refused, refused.Reason);
        Assert.Contains("WireframeOptions.MaxConcurrentConnections", refused.Detail, StringComparison.Ordinal);
        Assert.Empty(await third.ReadToEndAsync().Within());

        // The open ones are unaffected.
        await first.SendFrameAsync(Frame(1, "still served"));
        Assert.Equal("still served", (await first.NextFrameAsync()).Text());

        await second.CompleteAsync();
        await second.ClosedAsync();
        await using var fourth = host.Connect();
        await fourth.SendFrameAsync(Frame(1, "welcome back"));
        Assert.Equal("welcome back", (await fourth.NextFrameAsync()).Text());
        Assert.Equal(2, host.Handler.ActiveConnections);
    }
}
