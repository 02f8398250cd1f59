using System.Buffers;
using System.IO.Pipelines;
using Wireframe.Connections;
using Wireframe.Framing;
using Wireframe.Messages;
using Wireframe.Testing;
using Wireframe.Tests.Support;

namespace Wireframe.Tests.Streams;

/// <summary>
/// An in-memory client like the test kit's, whose server-side output is watched: <see cref="FlushBlocked"/>
/// completes when one of the server's flushes has to wait for the client to read. Pipes count bytes a
/// reader has examined as read, so "has the server stopped?" cannot be answered by peeking; this can.
/// </summary>
internal sealed class WatchedClient : IAsyncDisposable
{
    private readonly WireframeTestHost<Envelope> _host;
    private readonly WatchedPipeWriter _serverOutput;

    public WatchedClient(WireframeTestHost<Envelope> host, PipeOptions pipeOptions)
    {
        _host = host;
        Context = new InMemoryConnectionContext(pipeOptions);
        _serverOutput = new WatchedPipeWriter(Context.Transport.Output);
        Context.Transport = new DuplexPipe(Context.Transport.Input, _serverOutput);
        Closed = host.Handler.ServeAsync(Context);
    }

    public InMemoryConnectionContext Context { get; }

    public Task<DisconnectInfo> Closed { get; }

    /// <summary>Gets a task that completes the first time a server flush waits for the client.</summary>
    public Task FlushBlocked => _serverOutput.Blocked;

    private PipeReader FromServer => Context.Application.Input;

    public async ValueTask SendAsync<TMessage>(uint messageId, TMessage message, ulong? correlationId = null)
    {
        var payload = new ArrayBufferWriter<byte>();
        _host.Application.GetFormatter<TMessage>().Serialize(message, payload);
        _host.Application.Codec.Encode(_host.Application.Format.CreateFrame(messageId, correlationId, new ReadOnlySequence<byte>(payload.WrittenMemory)), Context.Application.Output);
        await Context.Application.Output.FlushAsync();
    }

    /// <summary>Counts the whole frames the server has sent and the client not yet read, without reading them (nothing is examined).</summary>
    public async Task<int> CountUnreadFramesAsync()
    {
        ReadResult result = await FromServer.ReadAsync().AsTask().WaitAsync(Connections.TestKit.Safety);
        ReadOnlySequence<byte> rest = result.Buffer;
        int frames = 0;
        while (_host.Application.Codec.TryDecode(ref rest, out _).Status == DecodeStatus.Frame)
        {
            frames++;
        }

        FromServer.AdvanceTo(result.Buffer.Start);
        return frames;
    }

    /// <summary>Reads the next frame into memory the caller owns.</summary>
    public async Task<Envelope> ReadFrameAsync()
    {
        for (int reads = 0; reads < 1_000_000; reads++)
        {
            ReadResult result = await FromServer.ReadAsync().AsTask().WaitAsync(Connections.TestKit.Safety);
            ReadOnlySequence<byte> buffer = result.Buffer;
            ReadOnlySequence<byte> rest = buffer;
            if (_host.Application.Codec.TryDecode(ref rest, out _).Status == DecodeStatus.Frame)
            {
                var copy = new ReadOnlySequence<byte>(buffer.Slice(0, rest.Start).ToArray());
                FromServer.AdvanceTo(rest.Start);
                _host.Application.Codec.TryDecode(ref copy, out Envelope frame);
                return frame;
            }

            FromServer.AdvanceTo(buffer.Start, buffer.End);
            if (result.IsCompleted)
            {
                throw new InvalidOperationException("The server closed the connection instead of sending a frame.");
            }
        }

        throw new InvalidOperationException("No whole frame arrived.");
    }

    public ValueTask CompleteAsync() => Context.Application.Output.CompleteAsync();

    public async ValueTask DisposeAsync()
    {
        await Context.Application.Output.CompleteAsync();
        await FromServer.CompleteAsync();
        await Context.DisposeAsync();
    }


    /// <summary>Forwards everything to the transport's writer and notes when a flush has to wait.</summary>
    private sealed class WatchedPipeWriter(PipeWriter inner) : PipeWriter
    {
        private readonly TaskCompletionSource _blocked = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task Blocked => _blocked.Task;

        public override bool CanGetUnflushedBytes => inner.CanGetUnflushedBytes;

        public override long UnflushedBytes => inner.UnflushedBytes;

        public override void Advance(int bytes) => inner.Advance(bytes);

        public override Memory<byte> GetMemory(int sizeHint = 0) => inner.GetMemory(sizeHint);

        public override Span<byte> GetSpan(int sizeHint = 0) => inner.GetSpan(sizeHint);

        public override void CancelPendingFlush() => inner.CancelPendingFlush();

        public override void Complete(Exception? exception = null) => inner.Complete(exception);

        public override ValueTask CompleteAsync(Exception? exception = null) => inner.CompleteAsync(exception);

        public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default)
        {
            ValueTask<FlushResult> flush = inner.FlushAsync(cancellationToken);
            if (!flush.IsCompleted)
            {
                _blocked.TrySetResult();
            }

            return flush;
        }
    }
}
