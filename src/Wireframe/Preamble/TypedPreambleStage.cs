using System.Buffers;
using System.IO.Pipelines;
using Microsoft.Extensions.Logging;
using Wireframe.Connections;
using Wireframe.Diagnostics;
using Wireframe.Framing;

namespace Wireframe.Preamble;

/// <summary>Reads a <typeparamref name="TPreamble"/> within the configured time and size, then runs the callbacks.</summary>
internal sealed class TypedPreambleStage<TFrame, TPreamble> : PreambleStage<TFrame>
{
    private readonly IPreambleReader<TPreamble> _reader;
    private readonly Func<WireframeConnection<TFrame>, TPreamble, ValueTask>? _onSuccess;
    private readonly Func<WireframeConnection<TFrame>, PreambleFailure, ValueTask>? _onFailure;

    public TypedPreambleStage(
        IPreambleReader<TPreamble> reader,
        Func<WireframeConnection<TFrame>, TPreamble, ValueTask>? onSuccess,
        Func<WireframeConnection<TFrame>, PreambleFailure, ValueTask>? onFailure)
    {
        _reader = reader;
        _onSuccess = onSuccess;
        _onFailure = onFailure;
    }

    public override async ValueTask<DisconnectInfo?> RunAsync(WireframeConnection<TFrame> connection)
    {
        WireframeOptions options = connection.Application.Options;
        PipeReader input = connection.Input;
        int timedOut = 0;
        PreambleFailure? failure = null;
        long received = 0;
        using (ITimer timer = connection.Application.TimeProvider.CreateTimer(
            _ =>
            {
                Volatile.Write(ref timedOut, 1);
                input.CancelPendingRead();
            },
            null,
            options.PreambleTimeout,
            Timeout.InfiniteTimeSpan))
        {
            while (failure is null)
            {
                ReadResult result = await input.ReadAsync().ConfigureAwait(false);
                ReadOnlySequence<byte> buffer = result.Buffer;
                if (result.IsCanceled)
                {
                    input.AdvanceTo(buffer.Start);
                    if (Volatile.Read(ref timedOut) != 0)
                    {
                        failure = new PreambleFailure(PreambleFailureKind.Timeout, $"No preamble within {nameof(WireframeOptions)}.{nameof(WireframeOptions.PreambleTimeout)} ({options.PreambleTimeout}).");
                        break;
                    }

                    if (connection.PendingStop is { } stop)
                    {
                        return stop;
                    }

                    continue;
                }

                received = buffer.Length;
                PreambleStatus status = _reader.TryRead(ref buffer, out TPreamble preamble, out string? error);
                switch (status)
                {
                    case PreambleStatus.Complete when result.Buffer.Length - buffer.Length > options.MaxPreambleLength:
                        // A whole preamble can arrive in one read: the limit must not depend on packet boundaries.
                        input.AdvanceTo(result.Buffer.Start, result.Buffer.End);
                        failure = new PreambleFailure(PreambleFailureKind.TooLarge, $"The preamble is {result.Buffer.Length - buffer.Length} bytes; {nameof(WireframeOptions)}.{nameof(WireframeOptions.MaxPreambleLength)} is {options.MaxPreambleLength}.");
                        break;
                    case PreambleStatus.Complete:
                        input.AdvanceTo(buffer.Start);
                        connection.Preamble = preamble;
                        return await SucceedAsync(connection, preamble).ConfigureAwait(false);
                    case PreambleStatus.Invalid:
                        input.AdvanceTo(buffer.Start, buffer.End);
                        failure = new PreambleFailure(PreambleFailureKind.Invalid, error ?? "The preamble is invalid.");
                        break;
                    default:
                        if (buffer.Length >= options.MaxPreambleLength)
                        {
                            failure = new PreambleFailure(PreambleFailureKind.TooLarge, $"{buffer.Length} bytes arrived without a complete preamble; {nameof(WireframeOptions)}.{nameof(WireframeOptions.MaxPreambleLength)} is {options.MaxPreambleLength}.");
                        }
                        else if (result.IsCompleted && buffer.IsEmpty)
                        {
                            // Connected and left without a byte (a health check, a port scan): a
                            // normal close, not a failed preamble.
                            input.AdvanceTo(buffer.End);
                            return new DisconnectInfo(DisconnectReason.PeerClosed, FrameEofKind.Clean, Detail: "The peer closed before sending a preamble.");
                        }
                        else if (result.IsCompleted)
                        {
                            failure = new PreambleFailure(PreambleFailureKind.PeerClosed, $"The peer closed after {buffer.Length} bytes of preamble.");
                        }

                        input.AdvanceTo(buffer.Start, buffer.End);
                        break;
                }
            }
        }

        return await FailAsync(connection, failure, received).ConfigureAwait(false);
    }

    private async ValueTask<DisconnectInfo?> SucceedAsync(WireframeConnection<TFrame> connection, TPreamble preamble)
    {
        if (_onSuccess is null)
        {
            return null;
        }

        try
        {
            await _onSuccess(connection, preamble).ConfigureAwait(false);
            await connection.Writer.FlushAsync().ConfigureAwait(false);
            return null;
        }
        catch (Exception ex) when (!TransportErrors.IsTransportError(ex))
        {
            return connection.HookFailed("preamble success", ex);
        }
    }

    private async ValueTask<DisconnectInfo?> FailAsync(WireframeConnection<TFrame> connection, PreambleFailure failure, long received)
    {
        ILogger logger = connection.Application.Logger;
        bool timeout = failure.Kind == PreambleFailureKind.Timeout;
        bool truncated = failure.Kind == PreambleFailureKind.PeerClosed;
        if (timeout)
        {
            WireframeLog.PreambleTimedOut(logger, connection.Id.Value, connection.Application.Options.PreambleTimeout);
        }
        else if (truncated)
        {
            // Like a peer closing mid-frame: worth a line, not an error.
            WireframeLog.PeerClosedMidFrame(logger, connection.Id.Value, FrameEofKind.MidHeader, received);
        }
        else
        {
            WireframeLog.PreambleInvalid(logger, connection.Id.Value, failure.Message);
        }

        if (!truncated)
        {
            connection.Application.Metrics.Error(timeout ? ErrorTypes.PreambleTimeout : ErrorTypes.PreambleInvalid);
        }
        if (_onFailure is not null)
        {
            try
            {
                await _onFailure(connection, failure).ConfigureAwait(false);
                await connection.Writer.FlushAsync().ConfigureAwait(false);
            }
            catch (Exception ex) when (!TransportErrors.IsTransportError(ex))
            {
                return connection.HookFailed("preamble failure", ex);
            }
        }

        return truncated
            ? new DisconnectInfo(DisconnectReason.PeerClosedMidFrame, FrameEofKind.MidHeader, Detail: failure.Message)
            : new DisconnectInfo(timeout ? DisconnectReason.PreambleTimeout : DisconnectReason.PreambleInvalid, Detail: failure.Message);
    }
}
