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

    public override void Complete(in TFrame frame, ReadOnlySequence<byte> raw)
    {
        try
        {
            if (formatter is null)
            {
                // The caller gets the frame: decode it again from a private copy so it outlives the buffer.
                var copy = new ReadOnlySequence<byte>(raw.ToArray());
                codec.TryDecode(ref copy, out TFrame owned);
                _outcome.TrySetResult((TResponse)(object)owned!);
                return;
            }

            _outcome.TrySetResult(formatter.Deserialize(format.GetPayload(frame)));
        }
        catch (Exception ex)
        {
            _outcome.TrySetException(ex);
        }
    }

    public override void Fail(Exception exception) => _outcome.TrySetException(exception);
}
