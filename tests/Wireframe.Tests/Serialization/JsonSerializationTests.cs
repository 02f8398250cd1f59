using System.Collections.Concurrent;
using System.Text.Json;
using Wireframe.Messages;
using Wireframe.Routing;
using Wireframe.Serialization;
using Wireframe.Testing;
using Wireframe.Tests.Connections;
using static Wireframe.Tests.Connections.TestKit;

namespace Wireframe.Tests.Serialization;

public sealed class JsonSerializationTests
{
    private static WireframeAppBuilder<Envelope> Greeter(WireframeAppBuilder<Envelope> app, ConcurrentQueue<Exception>? errors = null)
    {
        app.Route<Greeting, GreetingReply>(1, (greeting, _) => new GreetingReply(string.Join(' ', Enumerable.Repeat("hello " + greeting.Name, greeting.Times))));
        app.OnRequestError(async (ctx, ex) =>
        {
            errors?.Enqueue(ex);
            await ctx.ReplyAsync(500, Utf8(ex.GetType().Name));
        });
        return app;
    }

    [Fact]
    public async Task A_source_generated_context_reads_requests_and_writes_responses()
    {
        var app = Greeter(WireframeApp.CreateBuilder().UseJson(TestJsonContext.Default));
        await using var host = WireframeTest.CreateHost(app);
        await using var client = host.Connect();

        await client.SendFrameAsync(Frame(1, """{"Name":"ada","Times":2}""", 1));

        Envelope reply = await client.NextFrameAsync();
        Assert.Equal("""{"Text":"hello ada hello ada"}""", reply.Text());
        Assert.Equal((ulong?)1, reply.CorrelationId);
    }

    [Fact]
    public void A_type_missing_from_the_context_fails_at_build()
    {
        var app = WireframeApp.CreateBuilder().UseJson(TestJsonContext.Default);
        app.Route<NotInContext, GreetingReply>(2, (_, _) => new GreetingReply(""));

        var ex = Assert.Throws<InvalidOperationException>(() => app.Build());

        Assert.Contains(nameof(NotInContext), ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Reflection_options_apply_their_naming_policy_on_the_wire()
    {
        var app = Greeter(WireframeApp.CreateBuilder().UseJson(new JsonSerializerOptions(JsonSerializerDefaults.Web)));
        await using var host = WireframeTest.CreateHost(app);
        await using var client = host.Connect();

        await client.SendFrameAsync(Frame(1, """{"name":"bo","times":1}"""));
        await client.SendAsync(1, new Greeting("cy", 1));

        Assert.Equal("""{"text":"hello bo"}""", (await client.NextFrameAsync()).Text());
        Assert.Equal("""{"text":"hello cy"}""", (await client.NextFrameAsync()).Text());
    }

    [Theory]
    [InlineData("{not json")]
    [InlineData("")]
    [InlineData("null")]
    [InlineData("""{"Name":"x","Times":"two"}""")]
    [InlineData("""{"Name":"x","Times":1} trailing""")]
    [InlineData("""{"Name":"x","Times":1}{"Name":"y","Times":1}""")]
    public async Task An_invalid_json_payload_fails_only_its_request_with_a_MessageFormatException(string payload)
    {
        ConcurrentQueue<Exception> errors = new();
        var app = Greeter(WireframeApp.CreateBuilder().UseJson(TestJsonContext.Default), errors);
        await using var host = WireframeTest.CreateHost(app);
        await using var client = host.Connect();

        await client.SendFrameAsync(Frame(1, payload, 1));
        await client.SendFrameAsync(Frame(1, """{"Name":"ok","Times":1}""", 2));

        Envelope error = await client.NextFrameAsync();
        Assert.Equal((500u, (ulong?)1, nameof(MessageFormatException)), (error.MessageId, error.CorrelationId, error.Text()));
        Assert.Equal("""{"Text":"hello ok"}""", (await client.NextFrameAsync()).Text());
        await client.AssertNothingMoreThenCleanCloseAsync();
        Assert.Contains(nameof(Greeting), Assert.IsType<MessageFormatException>(Assert.Single(errors)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Reader_settings_of_the_options_are_honoured()
    {
        var options = new JsonSerializerOptions { AllowTrailingCommas = true, ReadCommentHandling = JsonCommentHandling.Skip };
        var app = Greeter(WireframeApp.CreateBuilder().UseJson(options));
        await using var host = WireframeTest.CreateHost(app);
        await using var client = host.Connect();

        await client.SendFrameAsync(Frame(1, """{"Name":"dee", /* two */ "Times":1,}"""));

        Assert.Equal("""{"Text":"hello dee"}""", (await client.NextFrameAsync()).Text());
    }

    [Fact]
    public async Task Byte_arrays_stay_raw_bytes_when_json_is_in_use()
    {
        var app = WireframeApp.CreateBuilder().UseJson();
        app.Route<byte[], byte[]>(1, (request, _) => request);
        await using var host = WireframeTest.CreateHost(app);
        await using var client = host.Connect();

        await client.SendFrameAsync(Frame(1, "not json at all"));

        Assert.Equal("not json at all", (await client.NextFrameAsync()).Text());
    }
}
