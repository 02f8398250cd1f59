using System.Buffers;
using System.Collections.Concurrent;
using System.Text;
using Wireframe.Connections;
using Wireframe.Framing;
using Wireframe.Messages;
using Wireframe.Outbound;
using Wireframe.Routing;

namespace Wireframe.Tests.Streams;

/// <summary>
/// Protocol hooks that record every call: a terminator (<see cref="TerminatorId"/>, empty, with the
/// request's correlation id) after a stream, an error frame (<see cref="ErrorId"/>, the exception's
/// message, with the correlation id) for protocol errors, and optional behaviour for each hook.
/// </summary>
internal sealed class RecordingProtocol : IWireframeProtocol<Envelope>
{
    public const uint TerminatorId = 900;
    public const uint ErrorId = 999;

    private readonly TaskCompletionSource<WireframeConnection<Envelope>> _firstConnection = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Gets or sets a value indicating whether streams get a terminator.</summary>
    public bool Terminate { get; init; } = true;

    /// <summary>Gets or sets a value indicating whether protocol errors become error frames.</summary>
    public bool ErrorFrames { get; init; } = true;

    public Func<PushHandle<Envelope>, WireframeConnection<Envelope>, ValueTask>? Setup { get; init; }

    public BeforeSendHook? BeforeSendHook { get; init; }

    public Action<RequestContext<Envelope>>? CommandEnd { get; init; }

    public Action<FrameEofKind>? Eof { get; init; }

    public Action? OnTerminator { get; init; }

    public Action? OnErrorFrame { get; init; }

    public ConcurrentQueue<(ConnectionId Id, PushHandle<Envelope> Pushes)> Setups { get; } = new();

    public ConcurrentQueue<(uint MessageId, ulong? CorrelationId)> CommandEnds { get; } = new();

    public ConcurrentQueue<(FrameEofKind Kind, byte[] Undecoded)> Eofs { get; } = new();

    public ConcurrentQueue<(ulong? CorrelationId, Exception Exception)> ErrorFrameRequests { get; } = new();

    public ConcurrentQueue<ulong?> TerminatorRequests { get; } = new();

    /// <summary>Gets the first connection that was set up.</summary>
    public Task<WireframeConnection<Envelope>> FirstConnection => _firstConnection.Task;

    public async ValueTask OnConnectionSetupAsync(PushHandle<Envelope> pushes, WireframeConnection<Envelope> connection)
    {
        Setups.Enqueue((connection.Id, pushes));
        _firstConnection.TrySetResult(connection);
        if (Setup is not null)
        {
            await Setup(pushes, connection);
        }
    }

    public void BeforeSend(ref Envelope frame, WireframeConnection<Envelope> connection) => BeforeSendHook?.Invoke(ref frame, connection);

    public void OnCommandEnd(RequestContext<Envelope> context)
    {
        CommandEnds.Enqueue((context.MessageId, context.CorrelationId));
        CommandEnd?.Invoke(context);
    }

    public void OnEof(FrameEofKind eof, ReadOnlySequence<byte> undecoded, WireframeConnection<Envelope> connection)
    {
        Eofs.Enqueue((eof, undecoded.ToArray()));
        Eof?.Invoke(eof);
    }

    public bool TryCreateErrorFrame(RequestContext<Envelope> context, Exception exception, out Envelope frame)
    {
        ErrorFrameRequests.Enqueue((context.CorrelationId, exception));
        OnErrorFrame?.Invoke();
        frame = new Envelope(ErrorId, context.CorrelationId, Encoding.UTF8.GetBytes(exception.Message).AsMemory());
        return ErrorFrames;
    }

    public bool TryCreateStreamTerminator(RequestContext<Envelope> context, out Envelope frame)
    {
        TerminatorRequests.Enqueue(context.CorrelationId);
        OnTerminator?.Invoke();
        frame = new Envelope(TerminatorId, context.CorrelationId, ReadOnlySequence<byte>.Empty);
        return Terminate;
    }
}

/// <summary>The shape of <see cref="IWireframeProtocol{TFrame}.BeforeSend"/>.</summary>
internal delegate void BeforeSendHook(ref Envelope frame, WireframeConnection<Envelope> connection);
