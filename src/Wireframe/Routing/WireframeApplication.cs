using System.Collections.Concurrent;
using System.Collections.Frozen;
using System.Diagnostics.Metrics;
using System.Threading.Channels;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Wireframe.Connections;
using Wireframe.Diagnostics;
using Wireframe.Framing;
using Wireframe.Messages;
using Wireframe.Outbound;
using Wireframe.Preamble;
using Wireframe.Serialization;

namespace Wireframe.Routing;

/// <summary>
/// A built, immutable protocol application: codec, bound routes, middleware pipeline, hooks and
/// options. One instance serves every connection of a server, on any transport.
/// </summary>
/// <typeparam name="TFrame">The frame type of the codec.</typeparam>
public sealed class WireframeApplication<TFrame>
{
    private readonly RouteTable<TFrame> _routes;
    private readonly MessageFormatters _formatters;
    private readonly ConcurrentDictionary<Type, object> _formatterCache = new();
    private readonly FrozenDictionary<Type, uint> _messageIds;
    private readonly FrozenSet<uint> _bodyRoutes;

    internal WireframeApplication(
        WireframeAppBuilder<TFrame> builder,
        WireframeOptions options,
        RouteTable<TFrame> routes,
        IReadOnlyList<Func<RequestDelegate<TFrame>, RequestDelegate<TFrame>>> middleware,
        MessageFormatters formatters,
        IReadOnlyDictionary<Type, uint> messageIds,
        IServiceProvider? services,
        IReadOnlySet<uint> bodyRoutes)
    {
        Codec = builder.Codec;
        Format = builder.Format;
        Options = options;
        _routes = routes;
        _formatters = formatters;
        _messageIds = messageIds.ToFrozenDictionary();
        ConnectedHook = builder.ConnectedHook;
        DisconnectedHook = builder.DisconnectedHook;
        ShutdownHook = builder.ShutdownHook;
        UnknownMessageHook = builder.UnknownMessageHook;
        RequestErrorHook = builder.RequestErrorHook;
        PreambleStage = builder.PreambleStage;
        Protocol = builder.Protocol;
        DeadLetters = builder.DeadLetters;
        FragmentStrategy = builder.FragmentStrategy;
        FrameHandler = builder.FrameHandler;
        _bodyRoutes = bodyRoutes.ToFrozenSet();
        Services = services ?? EmptyServiceProvider.Instance;
        Logger = (Services.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance).CreateLogger(WireframeLog.Category);
        Metrics = new WireframeMetrics(Services.GetService<IMeterFactory>() ?? new PrivateMeterFactory());
        TimeProvider = Services.GetService<TimeProvider>() ?? TimeProvider.System;
        PushRateLimiter = options.PushRateLimit is { } limit ? new RateLimitTicker(limit, TimeProvider) : null;
        DeadLetterLosses = new LogThrottle(options.DeadLetterLogEveryN, options.DeadLetterLogInterval, TimeProvider);

        RequestDelegate<TFrame> pipeline = DispatchAsync;
        for (int i = middleware.Count - 1; i >= 0; i--)
        {
            pipeline = middleware[i](pipeline);
        }

        Pipeline = pipeline;
        HasMiddleware = middleware.Count > 0;
    }

    /// <summary>Gets the codec.</summary>
    public IFrameCodec<TFrame> Codec { get; }

    /// <summary>Gets the envelope format.</summary>
    public IEnvelopeFormat<TFrame> Format { get; }

    /// <summary>Gets the validated options (a snapshot taken at build time).</summary>
    public WireframeOptions Options { get; }

    /// <summary>Gets the services handlers see.</summary>
    public IServiceProvider Services { get; }

    /// <summary>Gets the clock every timeout uses.</summary>
    public TimeProvider TimeProvider { get; }

    /// <summary>Gets the application's metrics.</summary>
    public WireframeMetrics Metrics { get; }

    /// <summary>Gets the number of routes.</summary>
    public int RouteCount => _routes.Count;

    internal ILogger Logger { get; }

    internal RequestDelegate<TFrame> Pipeline { get; }

    /// <summary>Gets a value indicating whether any middleware wraps the router; without, the router is called directly.</summary>
    internal bool HasMiddleware { get; }

    internal PreambleStage<TFrame>? PreambleStage { get; }

    internal Func<WireframeConnection<TFrame>, ValueTask>? ConnectedHook { get; }

    internal Func<WireframeConnection<TFrame>, DisconnectInfo, ValueTask>? DisconnectedHook { get; }

    internal Func<WireframeConnection<TFrame>, ValueTask>? ShutdownHook { get; }

    internal Func<RequestContext<TFrame>, ValueTask>? UnknownMessageHook { get; }

    internal Func<RequestContext<TFrame>, Exception, ValueTask>? RequestErrorHook { get; }

    /// <summary>Gets the protocol hooks, if the application has any.</summary>
    internal IWireframeProtocol<TFrame>? Protocol { get; }

    internal ChannelWriter<TFrame>? DeadLetters { get; }

    /// <summary>Gets a value indicating whether some handler takes a streamed <see cref="Fragmentation.MessageBody"/>.</summary>
    internal bool HasBodyRoutes => _bodyRoutes.Count > 0;

    /// <summary>Gets whether a message id's handler takes a streamed body.</summary>
    internal bool IsBodyRoute(uint messageId) => _bodyRoutes.Contains(messageId);

    /// <summary>Gets how messages are split and reassembled, if the application fragments.</summary>
    internal Fragmentation.IFragmentStrategy<TFrame>? FragmentStrategy { get; }

    /// <summary>Gets the handler every frame goes to instead of routing, when the application has one.</summary>
    internal FrameHandler<TFrame>? FrameHandler { get; }

    internal LogThrottle DeadLetterLosses { get; }

    internal RateLimitTicker? PushRateLimiter { get; }

    /// <summary>Gets the formatter the application uses for <typeparamref name="T"/> (cached after the first call).</summary>
    /// <typeparam name="T">The message type.</typeparam>
    /// <returns>The formatter.</returns>
    public IMessageFormatter<T> GetFormatter<T>() =>
        (IMessageFormatter<T>)_formatterCache.GetOrAdd(typeof(T), static (_, formatters) => formatters.Get<T>(), _formatters);

    /// <summary>Gets the message id mapped to <typeparamref name="T"/> with <see cref="WireframeAppBuilder{TFrame}.MapMessageId{T}"/>.</summary>
    /// <typeparam name="T">The message type.</typeparam>
    /// <returns>The id, or <see langword="null"/> when the type is not mapped.</returns>
    public uint? GetMessageId<T>() => _messageIds.TryGetValue(typeof(T), out uint id) ? id : null;

    /// <summary>Routes a request to its handler (the end of the pipeline).</summary>
    internal ValueTask DispatchAsync(RequestContext<TFrame> context)
    {
        RouteHandler<TFrame>? route = _routes.Find(context.MessageId);
        return route is not null ? route.InvokeAsync(context) : context.TypedConnection.OnUnknownMessageAsync(context);
    }

    private sealed class EmptyServiceProvider : IServiceProvider
    {
        public static readonly EmptyServiceProvider Instance = new();

        public object? GetService(Type serviceType) => null;
    }

    private sealed class PrivateMeterFactory : IMeterFactory
    {
        private readonly List<Meter> _meters = [];

        public Meter Create(MeterOptions options)
        {
            var meter = new Meter(options);
            lock (_meters)
            {
                _meters.Add(meter);
            }

            return meter;
        }

        public void Dispose()
        {
            lock (_meters)
            {
                _meters.ForEach(m => m.Dispose());
                _meters.Clear();
            }
        }
    }
}
