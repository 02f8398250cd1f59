using System.Buffers;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Wireframe.Examples.Echo;
using Wireframe.Hosting;
using Wireframe.Messages;
using Wireframe.Routing;
using Wireframe.Tests.Support;

namespace Wireframe.Tests.Hosting;

/// <summary>Wireframe inside an ordinary ASP.NET Core host: <c>AddWireframe</c> plus <c>UseWireframe</c> on a Kestrel endpoint.</summary>
public sealed class GenericHostTests
{
    private const uint GoodbyeMessageId = 99;
    private static readonly TimeSpan SafetyTimeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Host_serves_echo_on_a_kestrel_endpoint_bound_with_UseWireframe()
    {
        var endpoint = new TaskCompletionSource<ListenOptions>(TaskCreationOptions.RunContinuationsAsynchronously);
        WebApplicationBuilder builder = CreateBuilder(endpoint, app => app.Route<ReadOnlySequence<byte>, ReadOnlySequence<byte>>(EchoApp.EchoMessageId, (payload, _) => payload));
        await using WebApplication host = builder.Build();
        await host.StartAsync().WaitAsync(SafetyTimeout);
        try
        {
            var bound = (IPEndPoint)(await endpoint.Task.WaitAsync(SafetyTimeout)).EndPoint;
            Assert.NotEqual(0, bound.Port);
            await using var client = await FrameSocket.ConnectAsync(bound);
            for (ulong i = 0; i < 3; i++)
            {
                byte[] payload = Payloads.Random(100 * (int)i, seed: (int)i);
                await client.SendAsync(FrameSocket.Envelope(EchoApp.EchoMessageId, payload, i));
                EnvelopeReply? reply = await client.ReadEnvelopeAsync();

                Assert.NotNull(reply);
                Assert.Equal(i, reply.CorrelationId);
                Assert.Equal(payload, reply.Payload);
            }
        }
        finally
        {
            await host.StopAsync().WaitAsync(SafetyTimeout);
        }
    }

    [Fact]
    public async Task Host_stop_sends_the_goodbye_to_open_connections_then_closes_them()
    {
        var connected = new CountdownSignal(2);
        var endpoint = new TaskCompletionSource<ListenOptions>(TaskCreationOptions.RunContinuationsAsynchronously);
        WebApplicationBuilder builder = CreateBuilder(endpoint, app =>
        {
            app.Route<ReadOnlySequence<byte>, ReadOnlySequence<byte>>(EchoApp.EchoMessageId, (payload, _) => payload);
            app.OnConnected(_ =>
            {
                connected.Signal();
                return default;
            });
            app.OnShutdown(async connection => await connection.SendAsync(GoodbyeMessageId, "bye"u8.ToArray()));
        });

        // A drain deadline nobody could wait for within the safety timeout: idle connections must not be waited on.
        builder.Services.Configure<WireframeOptions>(o => o.ShutdownDrainTimeout = TimeSpan.FromMinutes(5));
        await using WebApplication host = builder.Build();
        await host.StartAsync().WaitAsync(SafetyTimeout);
        var bound = (IPEndPoint)(await endpoint.Task.WaitAsync(SafetyTimeout)).EndPoint;
        await using var active = await FrameSocket.ConnectAsync(bound);
        await using var idle = await FrameSocket.ConnectAsync(bound);
        await active.SendAsync(FrameSocket.Envelope(EchoApp.EchoMessageId, "hi"u8, correlationId: 1));
        Assert.Equal(1UL, (await active.ReadEnvelopeAsync())?.CorrelationId);
        await connected.Task.WaitAsync(SafetyTimeout);

        await host.StopAsync().WaitAsync(SafetyTimeout);

        foreach (FrameSocket client in (FrameSocket[])[active, idle])
        {
            EnvelopeReply? goodbye = await client.ReadEnvelopeAsync();
            Assert.NotNull(goodbye);
            Assert.Equal(GoodbyeMessageId, goodbye.MessageId);
            Assert.Equal("bye"u8.ToArray(), goodbye.Payload);
            Assert.Null(await client.ReadFrameAsync());
        }
    }

    [Fact]
    public async Task Options_configured_through_the_host_reach_the_application()
    {
        var endpoint = new TaskCompletionSource<ListenOptions>(TaskCreationOptions.RunContinuationsAsynchronously);
        WebApplicationBuilder builder = CreateBuilder(endpoint, app => app.Route<ReadOnlySequence<byte>, ReadOnlySequence<byte>>(EchoApp.EchoMessageId, (payload, _) => payload));
        builder.Services.Configure<WireframeOptions>(o => o.MaxConcurrentConnections = 1);
        await using WebApplication host = builder.Build();
        await host.StartAsync().WaitAsync(SafetyTimeout);
        try
        {
            var bound = (IPEndPoint)(await endpoint.Task.WaitAsync(SafetyTimeout)).EndPoint;
            await using var first = await FrameSocket.ConnectAsync(bound);
            await first.SendAsync(FrameSocket.Envelope(EchoApp.EchoMessageId, "one"u8, correlationId: 1));
            Assert.NotNull(await first.ReadEnvelopeAsync());

            await using var second = await FrameSocket.ConnectAsync(bound);
            await second.TrySendAsync(FrameSocket.Envelope(EchoApp.EchoMessageId, "two"u8, correlationId: 2));

            Assert.Empty(await second.ReadToEndAsync());
            Assert.Equal(1, host.Services.GetRequiredService<WireframeApplication<Envelope>>().Options.MaxConcurrentConnections);
        }
        finally
        {
            await host.StopAsync().WaitAsync(SafetyTimeout);
        }
    }

    [Fact]
    public async Task Invalid_options_make_generic_host_start_fail_naming_the_option()
    {
        // The classic generic host builds without touching Kestrel, so this pins "validated when the host starts".
        IHost host = Host.CreateDefaultBuilder()
            .ConfigureLogging(logging => logging.ClearProviders())
            .ConfigureServices(services =>
            {
                services.AddWireframe(app => app.Route<ReadOnlySequence<byte>, ReadOnlySequence<byte>>(EchoApp.EchoMessageId, (payload, _) => payload));
                services.Configure<WireframeOptions>(o => o.MaxConcurrentConnections = 0);
            })
            .ConfigureWebHost(web => web
                .UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, listen => listen.UseWireframe<Envelope>()))
                .Configure(_ => { }))
            .Build();
        using (host)
        {
            OptionsValidationException error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync().WaitAsync(SafetyTimeout));

            Assert.Equal(typeof(WireframeOptions), error.OptionsType);
            Assert.Contains("MaxConcurrentConnections", error.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Invalid_options_stop_a_web_application_before_it_serves_naming_the_option()
    {
        var endpoint = new TaskCompletionSource<ListenOptions>(TaskCreationOptions.RunContinuationsAsynchronously);
        WebApplicationBuilder builder = CreateBuilder(endpoint, app => app.Route<ReadOnlySequence<byte>, ReadOnlySequence<byte>>(EchoApp.EchoMessageId, (payload, _) => payload));
        builder.Services.Configure<WireframeOptions>(o => o.MaxConcurrentConnections = 0);

        // WebApplication creates Kestrel, and with it the endpoint's connection handler, inside Build(),
        // so the error may surface there rather than in StartAsync; either way nothing is served.
        OptionsValidationException error = await Assert.ThrowsAsync<OptionsValidationException>(async () =>
        {
            await using WebApplication host = builder.Build();
            await host.StartAsync().WaitAsync(SafetyTimeout);
        });

        Assert.Equal(typeof(WireframeOptions), error.OptionsType);
        Assert.Contains("MaxConcurrentConnections", error.Message, StringComparison.Ordinal);
    }

    private static WebApplicationBuilder CreateBuilder(TaskCompletionSource<ListenOptions> endpoint, Action<WireframeAppBuilder<Envelope>> configure)
    {
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Services.AddWireframe(configure);
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, listen =>
        {
            listen.UseWireframe<Envelope>();

            // Kestrel writes the real port back into these options when it binds.
            endpoint.TrySetResult(listen);
        }));
        return builder;
    }
}
