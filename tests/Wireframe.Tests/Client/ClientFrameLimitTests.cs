using Wireframe.Client;
using Wireframe.Examples.Echo;
using Wireframe.Framing;
using Wireframe.Messages;
using Wireframe.Tests.Support;

namespace Wireframe.Tests.Client;

/// <summary>A request above a maximum frame length: refused before sending by the client's own limit, or explained when the server refuses it.</summary>
public sealed class ClientFrameLimitTests
{
    private static readonly TimeSpan Safety = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task A_server_with_a_smaller_max_frame_drops_the_connection_and_the_call_names_the_request_size_and_the_option()
    {
        await using var server = await TcpTestServer.StartAsync(EchoApp.CreateRouted(new LengthDelimitedOptions { MaxFrameLength = 1024 }));
        await using WireframeClient<Envelope> client = await WireframeClient.CreateBuilder().ConnectAsync("127.0.0.1", server.Port);
        Assert.Equal([1], await client.CallAsync<byte[], byte[]>(EchoApp.EchoMessageId, [1]).AsTask().WaitAsync(Safety));

        var lost = await Assert.ThrowsAsync<WireframeConnectionLostException>(
            () => client.CallAsync<byte[], byte[]>(EchoApp.EchoMessageId, new byte[4096]).AsTask().WaitAsync(Safety));

        // 4 (length prefix) + 13 (message id, flags, correlation id) + 4,096 payload.
        Assert.Contains("the last request sent was 4,113 bytes", lost.Message, StringComparison.Ordinal);
        Assert.Contains("LengthDelimitedOptions.MaxFrameLength", lost.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_client_given_the_servers_limit_refuses_the_request_before_sending_and_the_connection_goes_on()
    {
        var framing = new LengthDelimitedOptions { MaxFrameLength = 1024 };
        await using var server = await TcpTestServer.StartAsync(EchoApp.CreateRouted(framing));
        await using WireframeClient<Envelope> client = await WireframeClient.CreateBuilder(framing).ConnectAsync("127.0.0.1", server.Port);

        var refused = await Assert.ThrowsAsync<InvalidOperationException>(
            () => client.CallAsync<byte[], byte[]>(EchoApp.EchoMessageId, new byte[4096]).AsTask().WaitAsync(Safety));

        Assert.Contains("LengthDelimitedOptions.MaxFrameLength (1024)", refused.Message, StringComparison.Ordinal);
        Assert.Equal(0, client.InFlight);
        Assert.Equal([7], await client.CallAsync<byte[], byte[]>(EchoApp.EchoMessageId, [7]).AsTask().WaitAsync(Safety));
    }

    [Fact]
    public async Task In_fifo_mode_a_refused_request_takes_no_place_in_line_so_later_answers_reach_their_own_callers()
    {
        var framing = new LengthDelimitedOptions { MaxFrameLength = 1024 };
        await using var server = await TcpTestServer.StartAsync(EchoApp.CreateRouted(framing));
        await using WireframeClient<Envelope> client = await WireframeClient.CreateBuilder(framing)
            .Configure(options => options.CorrelationMode = CorrelationMode.Fifo)
            .ConnectAsync("127.0.0.1", server.Port);

        await Assert.ThrowsAsync<InvalidOperationException>(() => client.CallAsync<byte[], byte[]>(EchoApp.EchoMessageId, new byte[4096]).AsTask().WaitAsync(Safety));

        Assert.Equal([1], await client.CallAsync<byte[], byte[]>(EchoApp.EchoMessageId, [1]).AsTask().WaitAsync(Safety));
        Assert.Equal([2], await client.CallAsync<byte[], byte[]>(EchoApp.EchoMessageId, [2]).AsTask().WaitAsync(Safety));
    }
}
