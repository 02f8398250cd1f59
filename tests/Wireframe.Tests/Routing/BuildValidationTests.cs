using Wireframe.Messages;
using Wireframe.Routing;

namespace Wireframe.Tests.Routing;

public sealed class BuildValidationTests
{
    [Fact]
    public void A_message_id_routed_twice_fails_at_build_naming_the_id_and_both_handlers()
    {
        var app = WireframeApp.CreateBuilder();
        app.Route<Ping, Pong>(7, (ping, _) => new Pong(ping.Value));
        app.Route<byte[], byte[]>(7, (bytes, _) => bytes);

        var ex = Assert.Throws<InvalidOperationException>(() => app.Build());

        Assert.Contains("Message id 7 is routed twice", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Ping -> Pong", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Byte[] -> Byte[]", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_request_type_no_serializer_knows_fails_at_build_naming_the_type_and_the_fix()
    {
        var app = WireframeApp.CreateBuilder();
        app.Route<Unserializable, byte[]>(3, (_, _) => []);

        var ex = Assert.Throws<InvalidOperationException>(() => app.Build());

        Assert.Contains("Message id 3", ex.Message, StringComparison.Ordinal);
        Assert.Contains("No serializer can handle " + typeof(Unserializable).FullName, ex.Message, StringComparison.Ordinal);
        Assert.Contains("UseJson", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_response_type_no_serializer_knows_fails_at_build()
    {
        var app = WireframeApp.CreateBuilder();
        app.Route<byte[], Unserializable>(4, (_, _) => new Unserializable(1));

        var ex = Assert.Throws<InvalidOperationException>(() => app.Build());

        Assert.Contains("Message id 4", ex.Message, StringComparison.Ordinal);
        Assert.Contains(nameof(Unserializable), ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_handler_parameter_without_an_extractor_fails_at_build_naming_AddExtractor()
    {
        var app = WireframeApp.CreateBuilder();
        app.Route<byte[], SessionToken, byte[]>(5, (bytes, _, _) => ValueTask.FromResult(bytes));

        var ex = Assert.Throws<InvalidOperationException>(() => app.Build());

        Assert.Contains("Message id 5", ex.Message, StringComparison.Ordinal);
        Assert.Contains("AddExtractor<SessionToken>", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_problem_is_listed_in_one_error()
    {
        var app = WireframeApp.CreateBuilder();
        app.Route<byte[], byte[]>(1, (bytes, _) => bytes);
        app.Route<byte[], byte[]>(1, (bytes, _) => bytes);
        app.Route<Unserializable, byte[]>(2, (_, _) => []);
        app.Route<byte[], SessionToken, byte[]>(3, (bytes, _, _) => ValueTask.FromResult(bytes));

        var ex = Assert.Throws<InvalidOperationException>(() => app.Build());

        Assert.Contains("Message id 1 is routed twice", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Message id 2", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Message id 3", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Reply_policy_without_an_unknown_message_hook_fails_at_build()
    {
        var app = WireframeApp.CreateBuilder().Configure(o => o.UnknownMessagePolicy = UnknownMessagePolicy.Reply);

        var ex = Assert.Throws<InvalidOperationException>(() => app.Build());

        Assert.Contains("OnUnknownMessage", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(nameof(WireframeOptions.MaxConcurrentConnections))]
    [InlineData(nameof(WireframeOptions.MaxConcurrentRequestsPerConnection))]
    [InlineData(nameof(WireframeOptions.MaxConsecutiveFrameErrors))]
    [InlineData(nameof(WireframeOptions.MaxPreambleLength))]
    [InlineData(nameof(WireframeOptions.PreambleTimeout))]
    [InlineData(nameof(WireframeOptions.ShutdownDrainTimeout))]
    [InlineData(nameof(WireframeOptions.MaxUnflushedBytes))]
    [InlineData(nameof(WireframeOptions.OversizedFrameAction))]
    public void An_out_of_range_option_fails_at_build_naming_it(string option)
    {
        var app = WireframeApp.CreateBuilder().Configure(o =>
        {
            switch (option)
            {
                case nameof(WireframeOptions.MaxConcurrentConnections): o.MaxConcurrentConnections = 0; break;
                case nameof(WireframeOptions.MaxConcurrentRequestsPerConnection): o.MaxConcurrentRequestsPerConnection = 0; break;
                case nameof(WireframeOptions.MaxConsecutiveFrameErrors): o.MaxConsecutiveFrameErrors = 0; break;
                case nameof(WireframeOptions.MaxPreambleLength): o.MaxPreambleLength = 0; break;
                case nameof(WireframeOptions.PreambleTimeout): o.PreambleTimeout = TimeSpan.Zero; break;
                case nameof(WireframeOptions.ShutdownDrainTimeout): o.ShutdownDrainTimeout = TimeSpan.FromSeconds(-1); break;
                case nameof(WireframeOptions.MaxUnflushedBytes): o.MaxUnflushedBytes = 0; break;
                default: o.OversizedFrameAction = (Wireframe.Framing.FrameErrorAction)42; break;
            }
        });

        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => app.Build());

        Assert.Contains("WireframeOptions." + option, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_built_application_keeps_a_snapshot_of_the_options()
    {
        var app = WireframeApp.CreateBuilder().Configure(o => o.MaxConsecutiveFrameErrors = 5);
        WireframeApplication<Envelope> built = app.Build();

        app.Options.MaxConsecutiveFrameErrors = 50;

        Assert.Equal(5, built.Options.MaxConsecutiveFrameErrors);
    }
}
