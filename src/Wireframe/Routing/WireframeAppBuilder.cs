using System.Text.Json;
using System.Text.Json.Serialization;
using System.Threading.Channels;
using Wireframe.Connections;
using Wireframe.Framing;
using Wireframe.Messages;
using Wireframe.Outbound;
using Wireframe.Preamble;
using Wireframe.Serialization;

namespace Wireframe.Routing;

/// <summary>
/// Describes a protocol application: its codec, routes, middleware, hooks and options. Nothing is
/// bound until <see cref="Build"/>, which checks the whole description at once and fails with a
/// clear error (duplicate ids, missing serializers or extractors, invalid options).
/// </summary>
/// <typeparam name="TFrame">The frame type of the codec.</typeparam>
public sealed class WireframeAppBuilder<TFrame>
{
    private readonly List<(uint Id, Func<BuildContext, RouteHandler<TFrame>> Bind, string Description)> _routes = [];
    private readonly List<Func<RequestDelegate<TFrame>, RequestDelegate<TFrame>>> _middleware = [];
    private readonly List<IMessageSerializer> _serializers = [];
    private readonly Dictionary<Type, object> _extractors = [];
    private readonly Dictionary<Type, uint> _messageIds = [];
    private PreambleStage<TFrame>? _preamble;

    internal WireframeAppBuilder(IFrameCodec<TFrame> codec, IEnvelopeFormat<TFrame> format)
    {
        Codec = codec ?? throw new ArgumentNullException(nameof(codec));
        Format = format ?? throw new ArgumentNullException(nameof(format));
    }

    /// <summary>Gets the codec.</summary>
    public IFrameCodec<TFrame> Codec { get; }

    /// <summary>Gets the envelope format that locates message ids, correlation ids and payloads in frames.</summary>
    public IEnvelopeFormat<TFrame> Format { get; }

    /// <summary>Gets the options; change them before <see cref="Build"/>.</summary>
    public WireframeOptions Options { get; } = new();

    internal Func<WireframeConnection<TFrame>, ValueTask>? ConnectedHook { get; private set; }

    internal Func<WireframeConnection<TFrame>, DisconnectInfo, ValueTask>? DisconnectedHook { get; private set; }

    internal Func<WireframeConnection<TFrame>, ValueTask>? ShutdownHook { get; private set; }

    internal Func<RequestContext<TFrame>, ValueTask>? UnknownMessageHook { get; private set; }

    internal Func<RequestContext<TFrame>, Exception, ValueTask>? RequestErrorHook { get; private set; }

    internal IWireframeProtocol<TFrame>? Protocol { get; private set; }

    internal ChannelWriter<TFrame>? DeadLetters { get; private set; }

    internal Fragmentation.IFragmentStrategy<TFrame>? FragmentStrategy { get; private set; }

    internal FrameHandler<TFrame>? FrameHandler { get; private set; }

    /// <summary>Changes the options.</summary>
    /// <param name="configure">Receives the options.</param>
    /// <returns>This builder.</returns>
    public WireframeAppBuilder<TFrame> Configure(Action<WireframeOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        configure(Options);
        return this;
    }

    /// <summary>Routes a message id to a handler that returns a response (or <see langword="null"/> for none).</summary>
    /// <typeparam name="TRequest">The request type: the frame type itself, or a type a serializer reads from the payload.</typeparam>
    /// <typeparam name="TResponse">The response type: the frame type itself, or a type a serializer writes.</typeparam>
    /// <param name="messageId">The request's message id.</param>
    /// <param name="handler">The handler.</param>
    /// <returns>This builder.</returns>
    public WireframeAppBuilder<TFrame> Route<TRequest, TResponse>(uint messageId, Func<TRequest, RequestContext, ValueTask<TResponse>> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        _routes.Add((messageId, ctx => new MessageRoute<TFrame, TRequest, TResponse>(ctx.Reader<TRequest>(), ctx.Sender<TResponse>(), handler), Describe<TRequest, TResponse>()));
        return this;
    }

    /// <summary>Routes a message id to a synchronous handler that returns a response (or <see langword="null"/>).</summary>
    /// <typeparam name="TRequest">The request type.</typeparam>
    /// <typeparam name="TResponse">The response type.</typeparam>
    /// <param name="messageId">The request's message id.</param>
    /// <param name="handler">The handler.</param>
    /// <returns>This builder.</returns>
    public WireframeAppBuilder<TFrame> Route<TRequest, TResponse>(uint messageId, Func<TRequest, RequestContext, TResponse> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        _routes.Add((messageId, ctx => new MessageRoute<TFrame, TRequest, TResponse>(ctx.Reader<TRequest>(), ctx.Sender<TResponse>(), handler), Describe<TRequest, TResponse>()));
        return this;
    }

    /// <summary>Routes a message id to a handler that sends no response.</summary>
    /// <typeparam name="TRequest">The request type.</typeparam>
    /// <param name="messageId">The request's message id.</param>
    /// <param name="handler">The handler.</param>
    /// <returns>This builder.</returns>
    public WireframeAppBuilder<TFrame> Route<TRequest>(uint messageId, Func<TRequest, RequestContext, ValueTask> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        return Route<TRequest, NoResponse?>(messageId, (request, context) => NoReplyAsync(handler(request, context)));
    }

    /// <summary>
    /// Routes a message id to a handler whose response is a stream: each item is sent as its own
    /// frame carrying the request's correlation id, pushes interleave between items, and the
    /// protocol may add a terminator when the stream ends naturally
    /// (<see cref="IWireframeProtocol{TFrame}.TryCreateStreamTerminator"/>). The stream's enumerator
    /// gets a token that fires when the connection closes. For a stream other tasks feed, return
    /// <c>channel.Reader.ReadAllAsync()</c> of a bounded <see cref="Channel{T}"/>: its writers wait
    /// while the peer is slower than they are.
    /// </summary>
    /// <typeparam name="TRequest">The request type.</typeparam>
    /// <typeparam name="TItem">The type of each streamed message.</typeparam>
    /// <param name="messageId">The request's message id.</param>
    /// <param name="handler">Returns the stream (an <c>async</c> iterator, typically).</param>
    /// <returns>This builder.</returns>
    public WireframeAppBuilder<TFrame> RouteStream<TRequest, TItem>(uint messageId, Func<TRequest, RequestContext, IAsyncEnumerable<TItem>> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        _routes.Add((messageId, ctx => new StreamRoute<TFrame, TRequest, TItem>(ctx.Reader<TRequest>(), ctx.Sender<TItem>(), handler), $"{typeof(TRequest).Name} -> stream of {typeof(TItem).Name}"));
        return this;
    }

    /// <summary>
    /// Routes a message id to a handler that returns several responses at once; they are sent in
    /// order, as a stream (same correlation id on each, same terminator).
    /// </summary>
    /// <typeparam name="TRequest">The request type.</typeparam>
    /// <typeparam name="TItem">The type of each response.</typeparam>
    /// <param name="messageId">The request's message id.</param>
    /// <param name="handler">Returns the responses.</param>
    /// <returns>This builder.</returns>
    public WireframeAppBuilder<TFrame> RouteMany<TRequest, TItem>(uint messageId, Func<TRequest, RequestContext, IEnumerable<TItem>> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        return RouteStream<TRequest, TItem>(messageId, (request, context) => new SyncStream<TItem>(handler(request, context)));
    }

    /// <summary>Routes a message id to a handler that also takes a parameter from a registered extractor.</summary>
    /// <typeparam name="TRequest">The request type.</typeparam>
    /// <typeparam name="TArg">The extracted parameter type; see <see cref="AddExtractor{T}(IRequestExtractor{T})"/>.</typeparam>
    /// <typeparam name="TResponse">The response type.</typeparam>
    /// <param name="messageId">The request's message id.</param>
    /// <param name="handler">The handler.</param>
    /// <returns>This builder.</returns>
    public WireframeAppBuilder<TFrame> Route<TRequest, TArg, TResponse>(uint messageId, Func<TRequest, TArg, RequestContext, ValueTask<TResponse>> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        _routes.Add((messageId, ctx => new ExtractingMessageRoute<TFrame, TRequest, TArg, TResponse>(ctx.Reader<TRequest>(), ctx.Extractor<TArg>(messageId), ctx.Sender<TResponse>(), handler), Describe<TRequest, TResponse>()));
        return this;
    }

    /// <summary>Declares the message id that responses of type <typeparamref name="T"/> carry. Without it, a response carries its request's message id.</summary>
    /// <typeparam name="T">The response message type.</typeparam>
    /// <param name="messageId">Its message id.</param>
    /// <returns>This builder.</returns>
    public WireframeAppBuilder<TFrame> MapMessageId<T>(uint messageId)
    {
        _messageIds[typeof(T)] = messageId;
        return this;
    }

    /// <summary>Adds a serializer, consulted after the built-in binary-message and raw-bytes serializers.</summary>
    /// <param name="serializer">The serializer.</param>
    /// <returns>This builder.</returns>
    public WireframeAppBuilder<TFrame> UseSerializer(IMessageSerializer serializer)
    {
        ArgumentNullException.ThrowIfNull(serializer);
        _serializers.Add(serializer);
        return this;
    }

    /// <summary>Serializes messages that no built-in serializer handles as JSON.</summary>
    /// <param name="options">The JSON options; <see langword="null"/> for the defaults.</param>
    /// <returns>This builder.</returns>
    public WireframeAppBuilder<TFrame> UseJson(JsonSerializerOptions? options = null) => UseSerializer(new JsonMessageSerializer(options));

    /// <summary>Serializes messages as JSON with a source-generated context (no reflection, trimming-safe).</summary>
    /// <param name="context">The context; it must include every JSON message type.</param>
    /// <returns>This builder.</returns>
    public WireframeAppBuilder<TFrame> UseJson(JsonSerializerContext context) => UseSerializer(new JsonMessageSerializer(context));

    /// <summary>Registers the source of handler parameters of type <typeparamref name="T"/>.</summary>
    /// <typeparam name="T">The parameter type.</typeparam>
    /// <param name="extractor">The extractor.</param>
    /// <returns>This builder.</returns>
    public WireframeAppBuilder<TFrame> AddExtractor<T>(IRequestExtractor<T> extractor)
    {
        ArgumentNullException.ThrowIfNull(extractor);
        _extractors[typeof(T)] = extractor;
        return this;
    }

    /// <summary>Registers a delegate as the source of handler parameters of type <typeparamref name="T"/>.</summary>
    /// <typeparam name="T">The parameter type.</typeparam>
    /// <param name="extract">Produces the parameter from a request.</param>
    /// <returns>This builder.</returns>
    public WireframeAppBuilder<TFrame> AddExtractor<T>(Func<RequestContext, ValueTask<T>> extract) =>
        AddExtractor(new DelegateExtractor<T>(extract ?? throw new ArgumentNullException(nameof(extract))));

    /// <summary>
    /// Hands every decoded frame to <paramref name="handler"/> instead of routing it: the low-level
    /// tier for relays, proxies and echo-like protocols. The handler runs synchronously on the read
    /// loop with the connection's writer held across a read's frames, and answers through its
    /// <see cref="FrameReply{TFrame}"/>: no request context, route lookup, middleware or per-frame
    /// writer entry, so the framework adds nothing measurable to a hand-written Kestrel handler.
    /// </summary>
    /// <remarks>
    /// Everything else still applies: the preamble, connection hooks, frame-error policy, limits,
    /// pushes (they wait while a read's frames are handled), graceful shutdown and metrics. A handler
    /// exception is a failed request under <see cref="WireframeOptions.HandlerExceptionPolicy"/> and
    /// <see cref="OnRequestError"/>. It cannot be combined with routes, middleware, protocol hooks,
    /// fragmentation, an unknown-message hook or more than one request at a time per connection;
    /// <see cref="Build"/> says which. The handler must not block or wait for the connection's own sends.
    /// </remarks>
    /// <param name="handler">Handles one frame; its frame and reply are valid until it returns. Replaces a handler given before.</param>
    /// <returns>This builder.</returns>
    public WireframeAppBuilder<TFrame> HandleFrames(FrameHandler<TFrame> handler)
    {
        FrameHandler = handler ?? throw new ArgumentNullException(nameof(handler));
        return this;
    }

    /// <summary>
    /// Adds middleware around every handler. The first added is the outermost: it sees the request
    /// first and finishes last.
    /// </summary>
    /// <param name="middleware">Receives the request and the rest of the pipeline.</param>
    /// <returns>This builder.</returns>
    public WireframeAppBuilder<TFrame> Use(Func<RequestContext<TFrame>, RequestDelegate<TFrame>, ValueTask> middleware)
    {
        ArgumentNullException.ThrowIfNull(middleware);
        return Use(next => context => middleware(context, next));
    }

    /// <summary>Adds middleware as a factory that wraps the rest of the pipeline once, at build time.</summary>
    /// <param name="middleware">Wraps the next step.</param>
    /// <returns>This builder.</returns>
    public WireframeAppBuilder<TFrame> Use(Func<RequestDelegate<TFrame>, RequestDelegate<TFrame>> middleware)
    {
        ArgumentNullException.ThrowIfNull(middleware);
        _middleware.Add(middleware);
        return this;
    }

    /// <summary>
    /// Reads a typed preamble before framing starts, within <see cref="WireframeOptions.PreambleTimeout"/>
    /// and <see cref="WireframeOptions.MaxPreambleLength"/>.
    /// </summary>
    /// <typeparam name="TPreamble">The preamble type.</typeparam>
    /// <param name="reader">Parses the preamble.</param>
    /// <param name="onSuccess">Runs after a valid preamble; may send a reply.</param>
    /// <param name="onFailure">Runs after an invalid, oversized, late or truncated preamble; may send an error before the connection closes.</param>
    /// <returns>This builder.</returns>
    public WireframeAppBuilder<TFrame> UsePreamble<TPreamble>(
        IPreambleReader<TPreamble> reader,
        Func<WireframeConnection<TFrame>, TPreamble, ValueTask>? onSuccess = null,
        Func<WireframeConnection<TFrame>, PreambleFailure, ValueTask>? onFailure = null)
    {
        ArgumentNullException.ThrowIfNull(reader);
        _preamble = new TypedPreambleStage<TFrame, TPreamble>(reader, onSuccess, onFailure);
        return this;
    }

    /// <summary>
    /// Runs when a connection is ready for frames (after the preamble, if any) and before anything is
    /// read: set up per-connection state, or greet the peer first (the MySQL handshake pattern).
    /// An exception closes the connection.
    /// </summary>
    /// <param name="hook">The hook.</param>
    /// <returns>This builder.</returns>
    public WireframeAppBuilder<TFrame> OnConnected(Func<WireframeConnection<TFrame>, ValueTask> hook)
    {
        ConnectedHook = hook ?? throw new ArgumentNullException(nameof(hook));
        return this;
    }

    /// <summary>Runs once when a connection ends, whatever ended it, including errors and aborts.</summary>
    /// <param name="hook">The hook.</param>
    /// <returns>This builder.</returns>
    public WireframeAppBuilder<TFrame> OnDisconnected(Func<WireframeConnection<TFrame>, DisconnectInfo, ValueTask> hook)
    {
        DisconnectedHook = hook ?? throw new ArgumentNullException(nameof(hook));
        return this;
    }

    /// <summary>Runs on each connection when a graceful shutdown reaches it, after its current request: send a goodbye frame.</summary>
    /// <param name="hook">The hook.</param>
    /// <returns>This builder.</returns>
    public WireframeAppBuilder<TFrame> OnShutdown(Func<WireframeConnection<TFrame>, ValueTask> hook)
    {
        ShutdownHook = hook ?? throw new ArgumentNullException(nameof(hook));
        return this;
    }

    /// <summary>Handles frames whose message id has no route; sets <see cref="WireframeOptions.UnknownMessagePolicy"/> to <see cref="UnknownMessagePolicy.Reply"/>.</summary>
    /// <param name="hook">May reply through <c>ctx.ReplyAsync(message)</c>.</param>
    /// <returns>This builder.</returns>
    public WireframeAppBuilder<TFrame> OnUnknownMessage(Func<RequestContext<TFrame>, ValueTask> hook)
    {
        UnknownMessageHook = hook ?? throw new ArgumentNullException(nameof(hook));
        Options.UnknownMessagePolicy = UnknownMessagePolicy.Reply;
        return this;
    }

    /// <summary>
    /// Answers a failed request (a <see cref="WireframeProtocolException"/>, an unreadable payload, or
    /// any exception under <see cref="HandlerExceptionPolicy.FailRequest"/>), typically with an error frame.
    /// </summary>
    /// <param name="hook">May reply through <c>ctx.ReplyAsync(message)</c>.</param>
    /// <returns>This builder.</returns>
    public WireframeAppBuilder<TFrame> OnRequestError(Func<RequestContext<TFrame>, Exception, ValueTask> hook)
    {
        RequestErrorHook = hook ?? throw new ArgumentNullException(nameof(hook));
        return this;
    }

    /// <summary>
    /// Installs protocol hooks: connection setup with a push handle, a before-send hook that sees
    /// every outbound frame, command end, end of input, error frames and stream terminators.
    /// </summary>
    /// <param name="protocol">The hooks.</param>
    /// <returns>This builder.</returns>
    public WireframeAppBuilder<TFrame> WithProtocol(IWireframeProtocol<TFrame> protocol)
    {
        Protocol = protocol ?? throw new ArgumentNullException(nameof(protocol));
        return this;
    }

    /// <summary>
    /// Sends pushed frames that a full queue would drop (<see cref="PushFullPolicy.Drop"/> and
    /// <see cref="PushFullPolicy.WarnAndDrop"/>) to <paramref name="deadLetters"/> instead. Delivery
    /// is at most once: a frame that finds the dead-letter queue full or closed too is lost, counted
    /// and reported in a throttled warning (<see cref="WireframeOptions.DeadLetterLogEveryN"/>,
    /// <see cref="WireframeOptions.DeadLetterLogInterval"/>).
    /// </summary>
    /// <param name="deadLetters">A writer the framework only ever calls <c>TryWrite</c> on; a bounded channel's, typically.</param>
    /// <returns>This builder.</returns>
    public WireframeAppBuilder<TFrame> UseDeadLetterQueue(ChannelWriter<TFrame> deadLetters)
    {
        DeadLetters = deadLetters ?? throw new ArgumentNullException(nameof(deadLetters));
        return this;
    }

    /// <summary>
    /// Splits outbound messages into fragments and reassembles inbound ones with
    /// <paramref name="strategy"/>: every frame the connection sends (responses, stream items, pushes)
    /// is split when the strategy says so, and handlers only ever see whole messages, reassembled
    /// under <see cref="WireframeOptions.MaxMessageSize"/>, <see cref="WireframeOptions.MaxBufferedBytesPerConnection"/>,
    /// <see cref="WireframeOptions.MaxMessagesInReassembly"/> and <see cref="WireframeOptions.ReassemblyTimeout"/>.
    /// </summary>
    /// <param name="strategy">The protocol's fragment header and split rules.</param>
    /// <returns>This builder.</returns>
    public WireframeAppBuilder<TFrame> UseFragmentation(Fragmentation.IFragmentStrategy<TFrame> strategy)
    {
        ArgumentNullException.ThrowIfNull(strategy);
        FragmentStrategy = strategy;
        return this;
    }

    /// <summary>Splits and reassembles messages with the <see cref="Fragmentation.DefaultFragmentStrategy{TFrame}"/> header.</summary>
    /// <param name="maxFragmentPayload">The most message bytes one fragment carries.</param>
    /// <returns>This builder.</returns>
    public WireframeAppBuilder<TFrame> UseFragmentation(int maxFragmentPayload) =>
        UseFragmentation(new Fragmentation.DefaultFragmentStrategy<TFrame>(maxFragmentPayload));

    /// <summary>Checks and binds everything: routes, serializers, extractors, middleware and options.</summary>
    /// <param name="services">Supplies logging, metrics and time; <see langword="null"/> for none (no logs, private meters, system clock).</param>
    /// <returns>The application, ready to serve connections.</returns>
    /// <exception cref="InvalidOperationException">The description is inconsistent; the message lists every problem.</exception>
    public WireframeApplication<TFrame> Build(IServiceProvider? services = null)
    {
        WireframeOptions options = Options.Clone();
        options.Validate();
        if (options.UnknownMessagePolicy == UnknownMessagePolicy.Reply && UnknownMessageHook is null)
        {
            throw new InvalidOperationException($"{nameof(WireframeOptions)}.{nameof(WireframeOptions.UnknownMessagePolicy)} is {nameof(UnknownMessagePolicy.Reply)}, but no hook was given: call {nameof(OnUnknownMessage)}.");
        }

        var context = new BuildContext(this, new MessageFormatters(_serializers));
        var errors = new List<string>();
        var routes = new Dictionary<uint, RouteHandler<TFrame>>();
        var descriptions = new Dictionary<uint, string>();
        foreach ((uint id, Func<BuildContext, RouteHandler<TFrame>> bind, string description) in _routes)
        {
            context.CurrentMessageId = id;
            if (descriptions.TryGetValue(id, out string? existing))
            {
                errors.Add($"Message id {id} is routed twice: to ({existing}) and to ({description}).");
                continue;
            }

            descriptions[id] = description;
            try
            {
                routes[id] = bind(context);
            }
            catch (InvalidOperationException ex)
            {
                errors.Add($"Message id {id} ({description}): {ex.Message}");
            }
        }

        if (FrameHandler is not null)
        {
            AddFrameHandlerConflicts(options, errors);
        }

        if (errors.Count > 0)
        {
            throw new InvalidOperationException("The Wireframe application is not valid:" + Environment.NewLine + string.Join(Environment.NewLine, errors.Select(e => "  - " + e)));
        }

        var table = new RouteTable<TFrame>(routes);
        return new WireframeApplication<TFrame>(this, options, table, _middleware, context.Formatters, _messageIds, services, context.BodyRoutes);
    }

    private void AddFrameHandlerConflicts(WireframeOptions options, List<string> errors)
    {
        const string Handled = $"Frames are handled by {nameof(HandleFrames)}, so ";
        if (_routes.Count > 0)
        {
            errors.Add($"{Handled}nothing is routed: remove the {_routes.Count} route(s), or {nameof(HandleFrames)}.");
        }

        if (_middleware.Count > 0)
        {
            errors.Add($"{Handled}no middleware runs: remove the {_middleware.Count} {nameof(Use)} call(s), or {nameof(HandleFrames)}.");
        }

        if (Protocol is not null)
        {
            errors.Add($"{Handled}protocol hooks cannot see commands: remove {nameof(WithProtocol)}, or use routes.");
        }

        if (FragmentStrategy is not null)
        {
            errors.Add($"{Handled}nothing reassembles or splits messages: remove {nameof(UseFragmentation)}, or use routes.");
        }

        if (UnknownMessageHook is not null)
        {
            errors.Add($"{Handled}no message is unknown: remove {nameof(OnUnknownMessage)}.");
        }

        if (options.MaxConcurrentRequestsPerConnection > 1)
        {
            errors.Add($"{Handled}frames are handled one at a time, in order: {nameof(WireframeOptions)}.{nameof(WireframeOptions.MaxConcurrentRequestsPerConnection)} must be 1 (it is {options.MaxConcurrentRequestsPerConnection}).");
        }
    }

    private static string Describe<TRequest, TResponse>() => $"{typeof(TRequest).Name} -> {typeof(TResponse).Name}";

    private static async ValueTask<NoResponse?> NoReplyAsync(ValueTask pending)
    {
        await pending.ConfigureAwait(false);
        return null;
    }

    /// <summary>Binds message types to formatters, ids and extractors while the application is built.</summary>
    internal sealed class BuildContext(WireframeAppBuilder<TFrame> builder, MessageFormatters formatters)
    {
        public MessageFormatters Formatters => formatters;

        /// <summary>Gets or sets the message id whose route is being bound.</summary>
        public uint CurrentMessageId { get; set; }

        /// <summary>Gets the message ids whose handlers take a streamed <see cref="Fragmentation.MessageBody"/>.</summary>
        public HashSet<uint> BodyRoutes { get; } = [];

        public RequestReader<TFrame, T> Reader<T>()
        {
            if (typeof(T) == typeof(Fragmentation.MessageBody))
            {
                BodyRoutes.Add(CurrentMessageId);
            }

            return new(builder.Format, formatters);
        }

        public ResponseSender<TFrame, T> Sender<T>()
        {
            if (typeof(T).GetInterfaces().Append(typeof(T)).Any(t => t.IsGenericType && t.GetGenericTypeDefinition() == typeof(IAsyncEnumerable<>)))
            {
                throw new InvalidOperationException($"The handler returns a stream ({typeof(T).Name}); route it with RouteStream so each item is sent as its own frame.");
            }

            return new(builder.Format, formatters, builder._messageIds.TryGetValue(typeof(T), out uint id) ? id : null);
        }

        public IRequestExtractor<T> Extractor<T>(uint messageId) =>
            builder._extractors.TryGetValue(typeof(T), out object? extractor)
                ? (IRequestExtractor<T>)extractor
                : throw new InvalidOperationException($"The handler for message {messageId} takes a {typeof(T).Name}, but no extractor for {typeof(T).Name} is registered: call AddExtractor<{typeof(T).Name}>.");
    }

    internal PreambleStage<TFrame>? PreambleStage => _preamble;
}
