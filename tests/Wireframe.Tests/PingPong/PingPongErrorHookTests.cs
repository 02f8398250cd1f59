using Wireframe.Examples.PingPong;
using Wireframe.Examples.PingPong.Messages;
using Wireframe.Messages;
using Wireframe.Routing;
using Wireframe.Testing;
using static Wireframe.Tests.PingPong.PingPongWire;

namespace Wireframe.Tests.PingPong;

/// <summary>The request error hook's mapping for failures the ping route itself never raises, on routes added by a test.</summary>
public sealed class PingPongErrorHookTests
{
    private const uint Uncoded = 10;
    private const uint CodeTooLarge = 11;
    private const uint Crash = 12;
    private const uint Verbose = 13;

    [Theory]
    [InlineData(Uncoded, PingPongErrorCodes.ProtocolError, "no code")]
    [InlineData(CodeTooLarge, PingPongErrorCodes.ProtocolError, "code 70000")]
    [InlineData(Crash, PingPongErrorCodes.InternalError, "The server failed to handle the request.")]
    public async Task Failure_without_a_u16_code_gets_a_generic_code(uint messageId, ushort expectedCode, string expectedText)
    {
        await using var host = WireframeTest.CreateHost(CreateAppWithFailingRoutes());
        await using var client = host.Connect();

        await client.SendAsync(messageId, new Ping(0), correlationId: 50);
        ErrorMessage error = AssertError(await client.ReadFrameAsync().AsTask().WaitAsync(SafetyTimeout), correlationId: 50);

        Assert.Equal(expectedCode, error.Code);
        Assert.Equal(expectedText, error.Text);
        Assert.DoesNotContain("secret", error.Text, StringComparison.Ordinal);
        await AssertNextPingAnsweredAsync(client);
    }

    [Fact]
    public async Task Error_text_too_long_for_the_message_is_truncated_and_the_connection_survives()
    {
        await using var host = WireframeTest.CreateHost(CreateAppWithFailingRoutes());
        await using var client = host.Connect();

        await client.SendAsync(Verbose, new Ping(0), correlationId: 51);
        ErrorMessage error = AssertError(await client.ReadFrameAsync().AsTask().WaitAsync(SafetyTimeout), correlationId: 51);

        Assert.Equal(7, error.Code);
        Assert.Equal(ErrorMessage.MaxTextBytes / 3, error.Text.Length);
        Assert.True(error.Text.All(c => c == '€'));
        await AssertNextPingAnsweredAsync(client);
    }

    private static WireframeAppBuilder<Envelope> CreateAppWithFailingRoutes()
    {
        WireframeAppBuilder<Envelope> app = PingPongApp.Create();

        // Under the default policy an unexpected exception closes the connection before any hook runs.
        app.Options.HandlerExceptionPolicy = HandlerExceptionPolicy.FailRequest;
        app.Route(Uncoded, Throws(() => new WireframeProtocolException("no code")));
        app.Route(CodeTooLarge, Throws(() => new WireframeProtocolException(70000, "code 70000")));
        app.Route(Crash, Throws(() => new InvalidOperationException("secret internals")));
        app.Route(Verbose, Throws(() => new WireframeProtocolException(7, new string('€', 100_000))));
        return app;
    }

    // A typed delegate: a lambda that only throws fits both the sync and the async Route overloads.
    private static Func<Ping, RequestContext, Pong> Throws(Func<Exception> exception) => (_, _) => throw exception();

    private static async Task AssertNextPingAnsweredAsync(TestConnection<Envelope> client)
    {
        await client.SendAsync(PingPongApp.PingMessageId, new Ping(1), correlationId: 52);
        Assert.Equal(new Pong(2), AssertPong(await client.ReadFrameAsync().AsTask().WaitAsync(SafetyTimeout), correlationId: 52));
        await client.CompleteAsync();
        Assert.Equal(Wireframe.Connections.DisconnectReason.PeerClosed, (await client.WaitForCloseAsync().WaitAsync(SafetyTimeout)).Reason);
    }
}
