using Wireframe.Client;
using Wireframe.Examples.Echo;
using Wireframe.Messages;
using Wireframe.Tests.Support;

namespace Wireframe.Tests.Client;

/// <summary>Client and pool options: out-of-range values are refused before connecting, naming the option; socket buffer sizes apply.</summary>
public sealed class ClientOptionsTests
{
    public static TheoryData<string, Action<WireframeClientOptions>> BadClientOptions => new()
    {
        { nameof(WireframeClientOptions.ConnectTimeout), options => options.ConnectTimeout = TimeSpan.Zero },
        { nameof(WireframeClientOptions.CallTimeout), options => options.CallTimeout = TimeSpan.FromSeconds(-2) },
        { nameof(WireframeClientOptions.PushBufferCapacity), options => options.PushBufferCapacity = 0 },
        { nameof(WireframeClientOptions.ReceiveBufferSize), options => options.ReceiveBufferSize = 0 },
        { nameof(WireframeClientOptions.SendBufferSize), options => options.SendBufferSize = -1 },
    };

    public static TheoryData<string, Action<WireframeClientPoolOptions>> BadPoolOptions => new()
    {
        { nameof(WireframeClientPoolOptions.Size), options => options.Size = 0 },
        { nameof(WireframeClientPoolOptions.MaxInFlightPerConnection), options => options.MaxInFlightPerConnection = 0 },
        { nameof(WireframeClientPoolOptions.MaxQueuedCalls), options => options.MaxQueuedCalls = -1 },
        { nameof(WireframeClientPoolOptions.AcquireTimeout), options => options.AcquireTimeout = TimeSpan.Zero },
        { nameof(WireframeClientPoolOptions.ReconnectInitialDelay), options => options.ReconnectInitialDelay = TimeSpan.Zero },
        { nameof(WireframeClientPoolOptions.ReconnectMaxDelay), options => options.ReconnectMaxDelay = TimeSpan.FromMilliseconds(1) },
        { nameof(WireframeClientPoolOptions.IdleTimeout), options => options.IdleTimeout = TimeSpan.Zero },
    };

    [Theory]
    [MemberData(nameof(BadClientOptions))]
    public async Task An_out_of_range_client_option_fails_connecting_and_names_the_option(string option, Action<WireframeClientOptions> configure)
    {
        var refused = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(
            async () => await WireframeClient.CreateBuilder().Configure(configure).ConnectAsync("127.0.0.1", 1));

        Assert.Equal(option, refused.ParamName);
        Assert.Contains($"WireframeClientOptions.{option}", refused.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(BadPoolOptions))]
    public async Task An_out_of_range_pool_option_fails_connecting_and_names_the_option(string option, Action<WireframeClientPoolOptions> configure)
    {
        var refused = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(
            async () => await WireframeClient.CreateBuilder().ConnectPoolAsync("127.0.0.1", 1, configure));

        Assert.Equal(option, refused.ParamName);
        Assert.Contains($"WireframeClientPoolOptions.{option}", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Small_socket_buffer_sizes_are_accepted_and_a_large_payload_still_crosses_them()
    {
        await using var server = await TcpTestServer.StartAsync(EchoApp.CreateRouted());
        await using WireframeClient<Envelope> client = await WireframeClient.CreateBuilder()
            .Configure(options => options.ReceiveBufferSize = options.SendBufferSize = 4096)
            .ConnectAsync("127.0.0.1", server.Port);

        byte[] payload = Payloads.Random(512 * 1024, seed: 3);
        Assert.Equal(payload, await client.CallAsync<byte[], byte[]>(EchoApp.EchoMessageId, payload).AsTask().WaitAsync(TimeSpan.FromSeconds(60)));
    }
}
