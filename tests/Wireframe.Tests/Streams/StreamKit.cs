using System.IO.Pipelines;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Wireframe.Messages;
using Wireframe.Routing;
using Wireframe.Testing;
using Wireframe.Tests.Support;

namespace Wireframe.Tests.Streams;

/// <summary>Shared pieces of the streaming, protocol-hook and session-registry tests.</summary>
internal static class StreamKit
{
    public const uint QueryId = 10;
    public const uint RowId = 20;
    public const uint PushId = 700;

    public const string Terminations = "wireframe.server.stream_terminations";
    public const string StreamEnd = "wireframe.stream_end";
    public const string Errors = "wireframe.server.errors";
    public const string ErrorType = "error.type";

    /// <summary>A host whose logs (Debug and up) go to <paramref name="logs"/>, optionally on <paramref name="clock"/>.</summary>
    public static WireframeTestHost<Envelope> Host(WireframeAppBuilder<Envelope> app, LogCapture logs, TimeProvider? clock = null) =>
        WireframeTest.CreateHost(app, services =>
        {
            services.AddLogging(logging => logging.AddProvider(logs).SetMinimumLevel(LogLevel.Debug));
            if (clock is not null)
            {
                services.AddSingleton(clock);
            }
        });

    public static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    public static TaskCompletionSource<T> NewSignal<T>() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Pipes that make the server's flush wait as soon as a few KiB are unread: a client that stops reading.</summary>
    public static PipeOptions TinyPipes(int pause = 4096) => new(pauseWriterThreshold: pause, resumeWriterThreshold: pause / 2, useSynchronizationContext: false);

    public static Row ReadRow(this WireframeTestHost<Envelope> host, Envelope frame) =>
        host.Application.GetFormatter<Row>().Deserialize(frame.Payload);

    /// <summary>The stream_end values logged by event 402, in order.</summary>
    public static IReadOnlyList<string?> StreamEndsLogged(this LogCapture logs) =>
        logs.Wireframe(402).Select(l => l["How"]?.ToString()).ToList();
}
