using System.Buffers;
using Wireframe.Diagnostics;
using Wireframe.Framing;

namespace Wireframe.Connections;

/// <summary>
/// Applies an application's codec to a connection's input with the frame-error policy: bad frames
/// are dropped (their bytes discarded as they arrive, never buffered) or end the connection, and too
/// many in a row end it regardless. Lives inside the read loop; one per connection.
/// </summary>
internal struct FrameDecoder<TFrame>
{
    private readonly WireframeConnection<TFrame> _connection;
    private readonly IFrameCodec<TFrame> _codec;
    private long _skip;
    private int _consecutiveErrors;
    private int _errorsBeforeFrame;

    public FrameDecoder(WireframeConnection<TFrame> connection)
    {
        _connection = connection;
        _codec = connection.Application.Codec;
        _skip = 0;
        _consecutiveErrors = 0;
        _errorsBeforeFrame = 0;
        FrameStart = default;
    }

    /// <summary>
    /// Gets where the last frame decoded by <see cref="Next"/> started in the input (read by inbound
    /// assembly only; frames found with <see cref="WholeFrameFound"/> do not move it).
    /// </summary>
    public SequencePosition FrameStart { get; private set; }

    /// <summary>Gets a value indicating whether the rest of a dropped frame is still being discarded.</summary>
    public readonly bool IsDiscarding => _skip > 0;

    /// <summary>Records a frame the read loop found itself, in the input's first segment: it ends a streak of bad frames.</summary>
    public void WholeFrameFound()
    {
        _errorsBeforeFrame = _consecutiveErrors;
        _consecutiveErrors = 0;
    }

    /// <summary>
    /// Decodes the next frame. Returns <see cref="DecodeStatus.Frame"/> with a frame,
    /// <see cref="DecodeStatus.NeedMoreData"/>, or <see cref="DecodeStatus.Error"/> with
    /// <paramref name="outcome"/> set to why the connection must close.
    /// </summary>
    public DecodeStatus Next(ref ReadOnlySequence<byte> buffer, out TFrame frame, ref DisconnectInfo? outcome)
    {
        while (true)
        {
            if (_skip > 0)
            {
                long discard = Math.Min(_skip, buffer.Length);
                buffer = buffer.Slice(discard);
                _skip -= discard;
                if (_skip > 0)
                {
                    frame = default!;
                    return DecodeStatus.NeedMoreData;
                }
            }

            FrameStart = buffer.Start;
            DecodeResult result;
            try
            {
                result = _codec.TryDecode(ref buffer, out frame);
            }
            catch (Exception ex)
            {
                frame = default!;
                result = DecodeResult.Malformed(DecodeResult.CannotResynchronize, $"The codec threw {ex.GetType().Name}: {ex.Message}");
            }

            switch (result.Status)
            {
                case DecodeStatus.Frame:
                    _errorsBeforeFrame = _consecutiveErrors;
                    _consecutiveErrors = 0;
                    return DecodeStatus.Frame;
                case DecodeStatus.NeedMoreData:
                    return DecodeStatus.NeedMoreData;
                default:
                    outcome = OnError(result);
                    if (outcome is not null)
                    {
                        return DecodeStatus.Error;
                    }

                    continue;
            }
        }
    }

    /// <summary>Classifies the end of the peer's input.</summary>
    public readonly DisconnectInfo Eof(in ReadOnlySequence<byte> remaining)
    {
        FrameEofKind eof = _skip > 0 ? FrameEofKind.MidFrame : _codec.ClassifyEof(remaining);
        if (eof == FrameEofKind.Clean)
        {
            return new DisconnectInfo(DisconnectReason.PeerClosed, FrameEofKind.Clean);
        }

        WireframeLog.PeerClosedMidFrame(_connection.Application.Logger, _connection.Id.Value, eof, remaining.Length);
        return new DisconnectInfo(DisconnectReason.PeerClosedMidFrame, eof, Detail: $"The peer closed with {remaining.Length} undecoded bytes ({eof}).");
    }

    /// <summary>
    /// Applies the malformed-frame policy to a frame that decoded but whose content is invalid (a
    /// bad fragment header): it is already consumed, so dropping it needs no resynchronisation.
    /// </summary>
    /// <returns>Why the connection must close, or <see langword="null"/> to go on without the frame.</returns>
    public DisconnectInfo? RejectFrame(string message)
    {
        // The frame decoded, which reset the streak; a frame rejected after decoding continues it.
        _consecutiveErrors = _errorsBeforeFrame;
        return OnError(DecodeResult.Malformed(0, message), consumed: true);
    }

    private DisconnectInfo? OnError(in DecodeResult error, bool consumed = false)
    {
        var application = _connection.Application;
        WireframeOptions options = application.Options;
        bool oversized = error.Error == FrameErrorKind.Oversized;
        application.Metrics.Error(oversized ? ErrorTypes.FrameOversized : ErrorTypes.FrameMalformed);
        DisconnectReason reason = oversized ? DisconnectReason.FrameTooLarge : DisconnectReason.MalformedFrame;
        FrameErrorAction action = oversized ? options.OversizedFrameAction : options.MalformedFrameAction;
        if (action == FrameErrorAction.DropFrame && error.SkipBytes <= 0 && !consumed)
        {
            WireframeLog.CannotResynchronize(application.Logger, _connection.Id.Value);
            action = FrameErrorAction.Disconnect;
        }

        if (oversized)
        {
            WireframeLog.FrameOversized(application.Logger, _connection.Id.Value, action, error.Message);
        }
        else
        {
            WireframeLog.FrameMalformed(application.Logger, _connection.Id.Value, action, error.Message);
        }

        if (action == FrameErrorAction.Disconnect)
        {
            return new DisconnectInfo(reason, Detail: error.Message);
        }

        if (++_consecutiveErrors >= options.MaxConsecutiveFrameErrors)
        {
            WireframeLog.TooManyFrameErrors(application.Logger, _connection.Id.Value, _consecutiveErrors);
            return new DisconnectInfo(DisconnectReason.TooManyFrameErrors, Detail: $"{_consecutiveErrors} bad frames in a row ({nameof(WireframeOptions)}.{nameof(WireframeOptions.MaxConsecutiveFrameErrors)} is {options.MaxConsecutiveFrameErrors}); last: {error.Message}");
        }

        _skip = error.SkipBytes;
        return null;
    }
}
