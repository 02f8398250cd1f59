using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.IO.Pipelines;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Wireframe.Framing;
using Wireframe.Messages;
using Wireframe.Serialization;

namespace Wireframe.Client;

/// <summary>
/// Describes a client: the same codec, envelope format and serializers as the server it talks to,
/// options, and the clock its timeouts use. <see cref="ConnectAsync(string, int, CancellationToken)"/>
/// opens a connection; one builder can open many.
/// </summary>
/// <typeparam name="TFrame">The protocol's frame type.</typeparam>
public sealed class WireframeClientBuilder<TFrame>
{
    private readonly List<IMessageSerializer> _serializers = [];
    private MessageFormatters? _formatters;

    internal WireframeClientBuilder(IFrameCodec<TFrame> codec, IEnvelopeFormat<TFrame> format)
    {
        Codec = codec;
        Format = format;
    }

    /// <summary>Gets the codec.</summary>
    public IFrameCodec<TFrame> Codec { get; }

    /// <summary>Gets the envelope format.</summary>
    public IEnvelopeFormat<TFrame> Format { get; }

    /// <summary>Gets the options (copied when a connection opens).</summary>
    public WireframeClientOptions Options { get; } = new();

    internal IReadOnlyList<IMessageSerializer> Serializers => _serializers;

    /// <summary>Gets the serializers resolved per message type, shared by every connection this builder opens (a new serializer starts a new set).</summary>
    internal MessageFormatters Formatters => _formatters ??= new MessageFormatters(_serializers);

    internal TimeProvider TimeProvider { get; private set; } = TimeProvider.System;

    internal ILoggerFactory LoggerFactory { get; private set; } = NullLoggerFactory.Instance;

    internal IMeterFactory? MeterFactory { get; private set; }

    /// <summary>Logs through this factory (category <c>Wireframe.Client</c>, event ids 600-699); none by default.</summary>
    /// <param name="loggerFactory">The factory.</param>
    /// <returns>This builder.</returns>
    public WireframeClientBuilder<TFrame> UseLogging(ILoggerFactory loggerFactory)
    {
        LoggerFactory = loggerFactory ?? throw new ArgumentNullException(nameof(loggerFactory));
        return this;
    }

    /// <summary>Creates the client's meter (<see cref="WireframeClientMetrics.MeterName"/>) through this factory; a process-wide meter otherwise.</summary>
    /// <param name="meterFactory">The factory, typically the host's.</param>
    /// <returns>This builder.</returns>
    public WireframeClientBuilder<TFrame> UseMeterFactory(IMeterFactory meterFactory)
    {
        MeterFactory = meterFactory ?? throw new ArgumentNullException(nameof(meterFactory));
        return this;
    }

    internal Action<ulong?, uint>? UnmatchedResponseHandler { get; private set; }

    internal Func<TFrame, bool>? StreamTerminator { get; private set; }

    internal List<FrameHook<TFrame>> BeforeSendHooks { get; } = [];

    internal List<FrameHook<TFrame>> AfterReceiveHooks { get; } = [];

    internal Action<WireframeClient<TFrame>, Exception>? DisconnectedHook { get; private set; }

    private Func<WireframeClient<TFrame>, CancellationToken, ValueTask>? ConnectedHook { get; set; }

    private ReadOnlyMemory<byte>? Preamble { get; set; }

    private Func<PipeReader, CancellationToken, ValueTask>? PreambleReply { get; set; }

    private SslClientAuthenticationOptions? Tls { get; set; }

    /// <summary>Adds a hook every outbound frame passes through before it is encoded (hooks run in the order added).</summary>
    /// <param name="hook">The hook; it may replace the frame.</param>
    /// <returns>This builder.</returns>
    public WireframeClientBuilder<TFrame> BeforeSend(FrameHook<TFrame> hook)
    {
        BeforeSendHooks.Add(hook ?? throw new ArgumentNullException(nameof(hook)));
        return this;
    }

    /// <summary>Adds a hook every inbound frame passes through before it is matched to a call or delivered as a push (in the order added).</summary>
    /// <param name="hook">The hook; it may replace the frame, whose memory is valid only during the call.</param>
    /// <returns>This builder.</returns>
    public WireframeClientBuilder<TFrame> AfterReceive(FrameHook<TFrame> hook)
    {
        AfterReceiveHooks.Add(hook ?? throw new ArgumentNullException(nameof(hook)));
        return this;
    }

    /// <summary>
    /// Writes a preamble right after connecting (and after the TLS handshake), before any frame,
    /// and optionally reads the server's reply to it, all within
    /// <see cref="WireframeClientOptions.PreambleTimeout"/>. Connecting fails if the reply reader throws.
    /// </summary>
    /// <param name="preamble">The bytes.</param>
    /// <param name="readReply">Reads (and consumes) the server's reply, throwing when it is not the expected one; <see langword="null"/> when the server does not reply.</param>
    /// <returns>This builder.</returns>
    public WireframeClientBuilder<TFrame> UsePreamble(ReadOnlyMemory<byte> preamble, Func<PipeReader, CancellationToken, ValueTask>? readReply = null)
    {
        Preamble = preamble;
        PreambleReply = readReply;
        return this;
    }

    /// <summary>Speaks TLS (through <see cref="SslStream"/>) once connected.</summary>
    /// <param name="targetHost">The server name the certificate must carry (and the SNI sent).</param>
    /// <param name="validateCertificate">Decides whether the server's certificate is acceptable; <see langword="null"/> for the system's validation.</param>
    /// <returns>This builder.</returns>
    public WireframeClientBuilder<TFrame> UseTls(string targetHost, RemoteCertificateValidationCallback? validateCertificate = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(targetHost);
        Tls = new SslClientAuthenticationOptions { TargetHost = targetHost, RemoteCertificateValidationCallback = validateCertificate };
        return this;
    }

    /// <summary>Runs once per connection after the preamble, before <c>ConnectAsync</c> returns (a login, a subscription); connecting fails if it throws.</summary>
    /// <param name="hook">The hook, with the connected client.</param>
    /// <returns>This builder.</returns>
    public WireframeClientBuilder<TFrame> OnConnected(Func<WireframeClient<TFrame>, CancellationToken, ValueTask> hook)
    {
        ConnectedHook = hook ?? throw new ArgumentNullException(nameof(hook));
        return this;
    }

    /// <summary>
    /// Runs once when the connection ends, however it ends (the server, a failure, <c>DisposeAsync</c>,
    /// or a pool closing an idle connection), with the reason calls in flight failed with.
    /// </summary>
    /// <param name="hook">The hook; it runs on the thread that noticed the end and must not block.</param>
    /// <returns>This builder.</returns>
    public WireframeClientBuilder<TFrame> OnDisconnected(Action<Exception> hook)
    {
        ArgumentNullException.ThrowIfNull(hook);
        return OnDisconnected((_, reason) => hook(reason));
    }

    /// <summary>
    /// Runs once when the connection ends, however it ends, with the client (its <see cref="WireframeClient{TFrame}.Items"/>
    /// hold what <see cref="OnConnected"/> set up) and the reason calls in flight failed with.
    /// </summary>
    /// <param name="hook">The hook; it runs on the thread that noticed the end and must not block.</param>
    /// <returns>This builder.</returns>
    public WireframeClientBuilder<TFrame> OnDisconnected(Action<WireframeClient<TFrame>, Exception> hook)
    {
        DisconnectedHook = hook ?? throw new ArgumentNullException(nameof(hook));
        return this;
    }

    internal Func<TFrame, Exception?>? ErrorFrameReader { get; private set; }

    /// <summary>
    /// Tells the client how the protocol ends a streamed response (the frame the server's
    /// <c>TryCreateStreamTerminator</c> hook sends); needed for <see cref="WireframeClient{TFrame}.StreamAsync{TRequest, TItem}"/>.
    /// </summary>
    /// <param name="isTerminator">Whether a frame (carrying the stream's correlation id) is its terminator.</param>
    /// <returns>This builder.</returns>
    public WireframeClientBuilder<TFrame> UseStreamTerminator(Func<TFrame, bool> isTerminator)
    {
        StreamTerminator = isTerminator ?? throw new ArgumentNullException(nameof(isTerminator));
        return this;
    }

    /// <summary>
    /// Tells the client which frames are the protocol's error frames (the server's
    /// <c>TryCreateErrorFrame</c> hook): a call or stream answered by one fails with the exception
    /// returned here instead of reading it as a response.
    /// </summary>
    /// <param name="readError">Returns the exception an error frame stands for, or <see langword="null"/> for any other frame. Runs on the receive loop with the frame's memory valid only during the call.</param>
    /// <returns>This builder.</returns>
    public WireframeClientBuilder<TFrame> UseErrorFrames(Func<TFrame, Exception?> readError)
    {
        ErrorFrameReader = readError ?? throw new ArgumentNullException(nameof(readError));
        return this;
    }

    /// <summary>Changes the options.</summary>
    /// <param name="configure">Receives the options.</param>
    /// <returns>This builder.</returns>
    public WireframeClientBuilder<TFrame> Configure(Action<WireframeClientOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        configure(Options);
        return this;
    }

    /// <summary>Adds a serializer, consulted before the built-in ones (raw bytes and <see cref="IBinaryMessage{T}"/>).</summary>
    /// <param name="serializer">The serializer.</param>
    /// <returns>This builder.</returns>
    public WireframeClientBuilder<TFrame> UseSerializer(IMessageSerializer serializer)
    {
        ArgumentNullException.ThrowIfNull(serializer);
        _serializers.Add(serializer);
        _formatters = null;
        return this;
    }

    /// <summary>Serializes with System.Text.Json.</summary>
    /// <param name="options">The JSON options; <see langword="null"/> for the defaults.</param>
    /// <returns>This builder.</returns>
    public WireframeClientBuilder<TFrame> UseJson(JsonSerializerOptions? options = null) => UseSerializer(new JsonMessageSerializer(options));

    /// <summary>Serializes with a source-generated System.Text.Json context.</summary>
    /// <param name="context">The context.</param>
    /// <returns>This builder.</returns>
    public WireframeClientBuilder<TFrame> UseJson(JsonSerializerContext context) => UseSerializer(new JsonMessageSerializer(context));

    /// <summary>Sets the clock connect and call timeouts use (a manual one in tests).</summary>
    /// <param name="timeProvider">The clock.</param>
    /// <returns>This builder.</returns>
    public WireframeClientBuilder<TFrame> UseTimeProvider(TimeProvider timeProvider)
    {
        TimeProvider = timeProvider ?? throw new ArgumentNullException(nameof(timeProvider));
        return this;
    }

    /// <summary>
    /// Gets told of every response that matched no call (an unknown or altered correlation id, or
    /// the answer to a call that timed out), with its correlation id and message id. Such a response
    /// never reaches a caller; it is also counted in <see cref="WireframeClient{TFrame}.UnmatchedResponses"/>.
    /// Runs on the receive loop: keep it short.
    /// </summary>
    /// <param name="handler">The callback.</param>
    /// <returns>This builder.</returns>
    public WireframeClientBuilder<TFrame> OnUnmatchedResponse(Action<ulong?, uint> handler)
    {
        UnmatchedResponseHandler = handler ?? throw new ArgumentNullException(nameof(handler));
        return this;
    }

    /// <summary>Connects over TCP.</summary>
    /// <param name="host">A host name or address.</param>
    /// <param name="port">The port.</param>
    /// <param name="cancellationToken">Cancels connecting.</param>
    /// <returns>The connected client.</returns>
    public async ValueTask<WireframeClient<TFrame>> ConnectAsync(string host, int port, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(host);
        return await ConnectAsync(IPAddress.TryParse(host, out IPAddress? address) ? new IPEndPoint(address, port) : new DnsEndPoint(host, port), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Connects to an endpoint: an <see cref="IPEndPoint"/>, a <see cref="DnsEndPoint"/>, or a <see cref="UnixDomainSocketEndPoint"/>.</summary>
    /// <param name="endPoint">Where the server listens.</param>
    /// <param name="cancellationToken">Cancels connecting.</param>
    /// <returns>The connected client.</returns>
    /// <exception cref="TimeoutException">Connecting took longer than <see cref="WireframeClientOptions.ConnectTimeout"/>.</exception>
    public async ValueTask<WireframeClient<TFrame>> ConnectAsync(EndPoint endPoint, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        WireframeClientOptions options = Options.Clone();
        options.Validate();
        using Activity? activity = WireframeClientMetrics.Source.StartActivity("wireframe.client.connect", ActivityKind.Client);
        activity?.SetTag("server.address", endPoint.ToString());
        bool unix = endPoint is UnixDomainSocketEndPoint;
        var socket = unix
            ? new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified)
            : new Socket(SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (!unix)
            {
                socket.NoDelay = options.NoDelay;
                socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.KeepAlive, options.KeepAlive);
            }

            if (options.ReceiveBufferSize is int receiveBuffer)
            {
                socket.ReceiveBufferSize = receiveBuffer;
            }

            if (options.SendBufferSize is int sendBuffer)
            {
                socket.SendBufferSize = sendBuffer;
            }

            await WithinAsync(options.ConnectTimeout, nameof(WireframeClientOptions.ConnectTimeout), $"Connecting to {endPoint}", token => socket.ConnectAsync(endPoint, token).AsTask(), cancellationToken).ConfigureAwait(false);

            Stream stream = new NetworkStream(socket, ownsSocket: false);
            if (Tls is { } tls)
            {
                var ssl = new SslStream(stream, leaveInnerStreamOpen: false);
                stream = ssl;
                await WithinAsync(options.ConnectTimeout, nameof(WireframeClientOptions.ConnectTimeout), "The TLS handshake", token => ssl.AuthenticateAsClientAsync(tls, token), cancellationToken).ConfigureAwait(false);
            }

            // Large reads: a burst of responses to many callers arrives in one read, not in 4 KiB pieces.
            var input = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 64 * 1024, minimumReadSize: 16 * 1024));
            var output = PipeWriter.Create(stream);
            if (Preamble is { } preamble)
            {
                await WithinAsync(options.PreambleTimeout, nameof(WireframeClientOptions.PreambleTimeout), "The preamble", async token =>
                {
                    await output.WriteAsync(preamble, token).ConfigureAwait(false);
                    if (PreambleReply is { } readReply)
                    {
                        await readReply(input, token).ConfigureAwait(false);
                    }
                }, cancellationToken).ConfigureAwait(false);
            }

            var client = new WireframeClient<TFrame>(socket, stream, input, output, this, options, endPoint.ToString() ?? "?");
            if (ConnectedHook is { } connected)
            {
                try
                {
                    await connected(client, cancellationToken).ConfigureAwait(false);
                }
                catch
                {
                    await client.DisposeAsync().ConfigureAwait(false);
                    throw;
                }
            }

            return client;
        }
        catch (Exception ex)
        {
            activity?.SetStatus(ActivityStatusCode.Error, ex.Message);
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Opens a pool of connections to a TCP server (see <see cref="WireframeClientPool{TFrame}"/>).</summary>
    /// <param name="host">A host name or address.</param>
    /// <param name="port">The port.</param>
    /// <param name="configure">Changes the pool's options; <see langword="null"/> for one reconnecting connection.</param>
    /// <param name="cancellationToken">Cancels connecting.</param>
    /// <returns>The pool, with every connection open.</returns>
    public ValueTask<WireframeClientPool<TFrame>> ConnectPoolAsync(string host, int port, Action<WireframeClientPoolOptions>? configure = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(host);
        return ConnectPoolAsync(IPAddress.TryParse(host, out IPAddress? address) ? new IPEndPoint(address, port) : new DnsEndPoint(host, port), configure, cancellationToken);
    }

    /// <summary>
    /// Opens a pool of connections to an endpoint: every connection connects as <see cref="ConnectAsync(EndPoint, CancellationToken)"/>
    /// does (TLS, preamble, <c>OnConnected</c>), now and on every reconnect, with this builder's settings at that time.
    /// </summary>
    /// <param name="endPoint">Where the server listens.</param>
    /// <param name="configure">Changes the pool's options; <see langword="null"/> for one reconnecting connection.</param>
    /// <param name="cancellationToken">Cancels connecting.</param>
    /// <returns>The pool, with every connection open.</returns>
    /// <exception cref="TimeoutException">A connection took longer than <see cref="WireframeClientOptions.ConnectTimeout"/>; the others are closed.</exception>
    public ValueTask<WireframeClientPool<TFrame>> ConnectPoolAsync(EndPoint endPoint, Action<WireframeClientPoolOptions>? configure = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        var options = new WireframeClientPoolOptions();
        configure?.Invoke(options);
        options.Validate();
        Options.Validate();
        return WireframeClientPool<TFrame>.ConnectAsync(this, endPoint, options.Clone(), cancellationToken);
    }

    private async ValueTask WithinAsync(TimeSpan limit, string option, string what, Func<CancellationToken, Task> work, CancellationToken cancellationToken)
    {
        using var deadline = new CancellationTokenSource(limit, TimeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
        try
        {
            await work(linked.Token).WaitAsync(linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"{what} took longer than {nameof(WireframeClientOptions)}.{option} ({limit}).");
        }
    }
}
