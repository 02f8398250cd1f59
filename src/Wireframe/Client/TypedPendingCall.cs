using System.Buffers;
using Wireframe.Framing;
using Wireframe.Messages;
using Wireframe.Serialization;

namespace Wireframe.Client;

/// <summary>A call whose response is read as <typeparamref name="TResponse"/>: the frame itself (copied), or its payload deserialized.</summary>
internal sealed class TypedPendingCall<TFrame, TResponse>(IMessageFormatter<TResponse>? formatter, IFrameCodec<TFrame> codec, IEnvelopeFormat<TFrame> format) : PendingCall<TFrame>
{
    private readonly TaskCompletionSource<TResponse> _outcome = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task<TResponse> Task => _outcome.Task;

    public override bool IsDone => _outcome.Task.IsCompleted;

    public override bool Receive(in TFrame frame, ReadOnlySequence<byte> raw)
    {
        try
        {
            _outcome.TrySetResult(ClientFrames.Read(frame, raw, formatter, codec, format));
        }
        catch (Exception ex)
        {
            _outcome.TrySetException(ex);
        }

        return true;
    }

    public override void Fail(Exception exception) => _outcome.TrySetException(exception);
}
