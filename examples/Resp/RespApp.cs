using Wireframe.Routing;

namespace Wireframe.Examples.Resp;

/// <summary>The Redis-compatible key-value server, shared by its program, tests and benchmarks.</summary>
public static class RespApp
{
    /// <summary>Describes the server: RESP codec, command routes, arity checks and the unknown-command reply.</summary>
    /// <param name="store">The key space; <see langword="null"/> for a new, empty one.</param>
    /// <param name="codecOptions">The protocol limits; <see langword="null"/> for the defaults.</param>
    /// <returns>The application description.</returns>
    public static WireframeAppBuilder<RespFrame> Create(RespStore? store = null, RespCodecOptions? codecOptions = null)
    {
        var codec = new RespCodec(codecOptions);
        RespCommandTable table = RespCommandTable.Default;
        var commands = new RespCommands(store ?? new RespStore(), table);
        var app = WireframeApp.CreateBuilder(codec, new RespEnvelopeFormat(table));

        // Arity is checked here, once, from the table, as Redis does before calling a command.
        app.Use((context, next) =>
        {
            RespCommandInfo? command = table.Get(context.MessageId);
            return command is null || command.Accepts(context.Frame.Count) ? next(context) : ReplyAsync(context, command.WrongArity);
        });

        app.Route<RespFrame, RespFrame>(RespCommandIds.Ping, commands.Ping);
        app.Route<RespFrame, RespFrame>(RespCommandIds.Echo, RespCommands.Echo);
        app.Route<RespFrame, RespFrame>(RespCommandIds.Get, commands.Get);
        app.Route<RespFrame, RespFrame>(RespCommandIds.Set, commands.Set);
        app.Route<RespFrame, RespFrame>(RespCommandIds.Del, commands.Del);
        app.Route<RespFrame, RespFrame>(RespCommandIds.Incr, commands.Incr);
        app.Route<RespFrame, RespFrame>(RespCommandIds.Exists, commands.Exists);
        app.Route<RespFrame, RespFrame>(RespCommandIds.Command, commands.Command);
        app.Route<RespFrame, RespFrame>(RespCommandIds.Config, commands.Config);
        app.Route<RespFrame, RespFrame>(RespCommandIds.Quit, RespCommands.Quit);

        // Blank lines and empty arrays get no reply, as in Redis.
        app.Route<RespFrame>(RespCommandIds.Empty, (_, _) => default);

        // Unknown names (and values sent as if they were commands) have no route on purpose.
        app.OnUnknownMessage(context => ReplyAsync(context, RespCommands.Unknown(context.Frame)));
        return app;
    }

    private static ValueTask ReplyAsync(RequestContext<RespFrame> context, RespFrame reply)
    {
        ValueTask<bool> pending = context.ReplyAsync(reply);
        if (pending.IsCompletedSuccessfully)
        {
            _ = pending.Result;
            return default;
        }

        return AwaitAsync(pending);

        static async ValueTask AwaitAsync(ValueTask<bool> pending) => await pending.ConfigureAwait(false);
    }
}
