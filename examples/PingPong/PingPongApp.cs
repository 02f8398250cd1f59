using Wireframe.Examples.PingPong.Messages;
using Wireframe.Messages;
using Wireframe.Routing;
using Wireframe.Serialization;

namespace Wireframe.Examples.PingPong;

/// <summary>
/// The PingPong application on the default envelope wire format: a <see cref="Ping"/> is answered by a
/// <see cref="Pong"/> one higher; a ping that cannot be answered gets an <see cref="ErrorMessage"/>
/// with the request's correlation id, and the connection stays open.
/// </summary>
public static class PingPongApp
{
    public const uint PingMessageId = 1;

    public const uint PongMessageId = 2;

    public const uint ErrorMessageId = 3;

    // A UTF-16 char never takes more than 3 UTF-8 bytes, so a text this long always fits an ErrorMessage.
    private const int MaxErrorTextChars = ErrorMessage.MaxTextBytes / 3;

    /// <summary>Describes the application; build it with the host's services so the middleware can log.</summary>
    /// <returns>The application description.</returns>
    public static WireframeAppBuilder<Envelope> Create()
    {
        var app = WireframeApp.CreateBuilder();
        app.MapMessageId<Pong>(PongMessageId);
        app.MapMessageId<ErrorMessage>(ErrorMessageId);
        app.Use(next => new RequestLoggingMiddleware(next).InvokeAsync);
        app.Route<Ping, Pong>(PingMessageId, (ping, _) => Answer(ping));
        app.OnRequestError(ReplyWithErrorAsync);
        return app;
    }

    private static Pong Answer(Ping ping) =>
        ping.Value == uint.MaxValue
            ? throw new WireframeProtocolException(PingPongErrorCodes.ValueOverflow, $"Ping value {ping.Value} is the largest u32; its pong would overflow.")
            : new Pong(ping.Value + 1);

    private static async ValueTask ReplyWithErrorAsync(RequestContext<Envelope> context, Exception exception)
    {
        ErrorMessage error = exception switch
        {
            WireframeProtocolException { Code: int code } when code is >= 0 and <= ushort.MaxValue => new((ushort)code, Fit(exception.Message)),
            WireframeProtocolException => new(PingPongErrorCodes.ProtocolError, Fit(exception.Message)),
            MessageFormatException => new(PingPongErrorCodes.MalformedPayload, Fit(exception.Message)),

            // Reached only under HandlerExceptionPolicy.FailRequest; internals are not the peer's business.
            _ => new(PingPongErrorCodes.InternalError, "The server failed to handle the request."),
        };

        // ReplyAsync carries the request's correlation id; the read loop flushes it with the batch.
        await context.ReplyAsync(ErrorMessageId, error).ConfigureAwait(false);
    }

    private static string Fit(string text) => text.Length <= MaxErrorTextChars ? text : text[..MaxErrorTextChars];
}
