using System.Buffers;
using System.Threading.Channels;
using Wireframe.Framing;
using Wireframe.Messages;
using Wireframe.Serialization;

namespace Wireframe.Client;

/// <summary>
/// A streamed response being received: items go into an unbounded buffer the consumer drains, so
/// the receive loop (and every other call) never waits for a slow consumer; the protocol's
/// terminator ends it, an error frame or a lost connection fails it.
/// </summary>
internal sealed class PendingStream<TFrame, TItem>(
    IMessageFormatter<TItem>? formatter,
    IFrameCodec<TFrame> codec,
    IEnvelopeFormat<TFrame> format,
    Func<TFrame, bool> isTerminator) : PendingCall<TFrame>
{
    private readonly Channel<TItem> _items = Channel.CreateUnbounded<TItem>(new UnboundedChannelOptions { SingleWriter = true, SingleReader = true });
    private int _done;

    public ChannelReader<TItem> Items => _items.Reader;

    public override bool IsDone => Volatile.Read(ref _done) != 0;

    public override bool IsStream => true;

    public override bool Receive(in TFrame frame, ReadOnlySequence<byte> raw)
    {
        try
        {
            if (isTerminator(frame))
            {
                End(null);
                return true;
            }

            _items.Writer.TryWrite(ClientFrames.Read(frame, raw, formatter, codec, format));
            return false;
        }
        catch (Exception ex)
        {
            End(ex);
            return true;
        }
    }

    public override void Fail(Exception exception) => End(exception);

    private void End(Exception? error)
    {
        if (Interlocked.Exchange(ref _done, 1) == 0)
        {
            _items.Writer.TryComplete(error);
        }
    }
}
