using System.Buffers;
using System.Text.Json;
using Wireframe.Connections;
using Wireframe.Messages;
using Wireframe.Outbound;
using Wireframe.Routing;

namespace Wireframe.Examples.Chat;

/// <summary>
/// The chat's protocol hooks: a heartbeat started at connection setup, an empty
/// <see cref="ChatIds.HistoryEnd"/> frame after a history stream, and <see cref="ChatIds.Error"/>
/// frames for refused requests.
/// </summary>
/// <param name="heartbeatPeriod">How often each connection gets a heartbeat; <see cref="Timeout.InfiniteTimeSpan"/> for never.</param>
public sealed class ChatProtocol(TimeSpan heartbeatPeriod) : IWireframeProtocol<Envelope>
{
    /// <inheritdoc />
    public ValueTask OnConnectionSetupAsync(PushHandle<Envelope> pushes, WireframeConnection<Envelope> connection)
    {
        if (heartbeatPeriod == Timeout.InfiniteTimeSpan)
        {
            return ValueTask.CompletedTask;
        }

        long beats = 0;

        // The timer runs on the application's clock (a manual one in tests) and dies with the connection.
        ITimer timer = connection.Application.TimeProvider.CreateTimer(
            _ => pushes.TryPush(ChatIds.Heartbeat, new Heartbeat(Interlocked.Increment(ref beats)), PushPriority.High, PushFullPolicy.Drop),
            null,
            heartbeatPeriod,
            heartbeatPeriod);
        connection.ConnectionClosing.Register(static state => ((ITimer)state!).Dispose(), timer);
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public bool TryCreateStreamTerminator(RequestContext<Envelope> context, out Envelope frame)
    {
        frame = new Envelope(ChatIds.HistoryEnd, context.CorrelationId, ReadOnlySequence<byte>.Empty);
        return true;
    }

    /// <inheritdoc />
    public bool TryCreateErrorFrame(RequestContext<Envelope> context, Exception exception, out Envelope frame)
    {
        byte[] payload = JsonSerializer.SerializeToUtf8Bytes(new ChatError(exception.Message), ChatJsonContext.Default.ChatError);
        frame = new Envelope(ChatIds.Error, context.CorrelationId, new ReadOnlySequence<byte>(payload));
        return true;
    }
}
