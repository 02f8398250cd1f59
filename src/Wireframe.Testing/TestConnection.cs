using System.Buffers;
using System.IO.Pipelines;
using Wireframe.Connections;
using Wireframe.Framing;
using Wireframe.Routing;

namespace Wireframe.Testing;

/// <summary>
/// The client's end of an in-memory connection: send frames or raw bytes (in chunks as small as one
/// byte), read decoded frames, and observe the close and its reason.
/// </summary>
/// <typeparam name="TFrame">The application's frame type.</typeparam>
public sealed partial class TestConnection<TFrame> : IAsyncDisposable
{
    private readonly WireframeApplication<TFrame> _application;
    private readonly InMemoryConnectionContext _context;

    internal TestConnection(WireframeApplication<TFrame> application, InMemoryConnectionContext context, Task<DisconnectInfo> closed)
    {
        _application = application;
        _context = context;
        Closed = closed;
    }

    /// <summary>Gets a task that completes with the reason when the server side of the connection ends.</summary>
    public Task<DisconnectInfo> Closed { get; }

    /// <summary>Gets the transport context the server sees.</summary>
    public InMemoryConnectionContext Context => _context;

    private PipeWriter ToServer => _context.Application.Output;

    private PipeReader FromServer => _context.Application.Input;

    /// <summary>Encodes a frame with the application's codec and sends it.</summary>
    /// <param name="frame">The frame.</param>
    /// <param name="cancellationToken">Cancels the send.</param>
    /// <returns>A task that completes when the bytes are in the pipe.</returns>
    public async ValueTask SendFrameAsync(TFrame frame, CancellationToken cancellationToken = default)
    {
        _application.Codec.Encode(frame, ToServer);
        await ToServer.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Serializes a message, wraps it in a frame and sends it.</summary>
    /// <typeparam name="TMessage">The message type.</typeparam>
    /// <param name="messageId">The message id.</param>
    /// <param name="message">The message.</param>
    /// <param name="correlationId">The correlation id, if any.</param>
    /// <param name="cancellationToken">Cancels the send.</param>
    /// <returns>A task that completes when the bytes are in the pipe.</returns>
    public async ValueTask SendAsync<TMessage>(uint messageId, TMessage message, ulong? correlationId = null, CancellationToken cancellationToken = default)
    {
        var payload = new ArrayBufferWriter<byte>();
        _application.GetFormatter<TMessage>().Serialize(message, payload);
        await SendFrameAsync(_application.Format.CreateFrame(messageId, correlationId, new ReadOnlySequence<byte>(payload.WrittenMemory)), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Sends raw bytes, optionally in chunks with a flush after each, to exercise partial reads.</summary>
    /// <param name="bytes">The bytes.</param>
    /// <param name="chunkSize">The chunk size; 1 sends one byte per flush.</param>
    /// <param name="cancellationToken">Cancels the send.</param>
    /// <returns>A task that completes when all bytes are in the pipe.</returns>
    public async ValueTask SendRawAsync(ReadOnlyMemory<byte> bytes, int chunkSize = int.MaxValue, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(chunkSize, 1);
        for (int offset = 0; offset < bytes.Length; offset += chunkSize)
        {
            int length = Math.Min(chunkSize, bytes.Length - offset);
            await ToServer.WriteAsync(bytes.Slice(offset, length), cancellationToken).ConfigureAwait(false);
        }

        if (bytes.IsEmpty)
        {
            await ToServer.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Closes the client's sending side: the server sees end of input after the bytes already sent,
    /// and, as with Kestrel when a socket reads end of stream, the transport's
    /// <c>ConnectionClosed</c> token fires.
    /// </summary>
    /// <returns>A task that completes when the side is closed.</returns>
    public async ValueTask CompleteAsync()
    {
        await ToServer.CompleteAsync().ConfigureAwait(false);
        _context.SignalClientClosed();
    }

    /// <summary>
    /// Reads the next frame the server sent, decoded with the application's codec into memory the
    /// caller owns. Returns <see langword="false"/> when the server closed its side first.
    /// </summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>Whether a frame was read, and the frame.</returns>
    public async ValueTask<(bool Success, TFrame Frame)> TryReadFrameAsync(CancellationToken cancellationToken = default)
    {
        while (true)
        {
            ReadResult result = await FromServer.ReadAsync(cancellationToken).ConfigureAwait(false);
            ReadOnlySequence<byte> buffer = result.Buffer;
            ReadOnlySequence<byte> remaining = buffer;
            DecodeResult decoded = _application.Codec.TryDecode(ref remaining, out _);
            if (decoded.Status == DecodeStatus.Frame)
            {
                // Decode again from a private copy so the frame outlives the pipe's buffer.
                byte[] copy = buffer.Slice(0, remaining.Start).ToArray();
                FromServer.AdvanceTo(remaining.Start);
                var owned = new ReadOnlySequence<byte>(copy);
                _application.Codec.TryDecode(ref owned, out TFrame frame);
                return (true, frame);
            }

            if (decoded.Status == DecodeStatus.Error)
            {
                FromServer.AdvanceTo(buffer.Start);
                throw new InvalidDataException($"The server sent an undecodable frame: {decoded}");
            }

            if (result.IsCompleted)
            {
                FromServer.AdvanceTo(buffer.Start, buffer.End);
                if (!buffer.IsEmpty)
                {
                    throw new InvalidDataException($"The server closed with {buffer.Length} bytes of an incomplete frame.");
                }

                return (false, default!);
            }

            FromServer.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    /// <summary>Reads the next frame the server sent; throws if the server closed first.</summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The frame.</returns>
    public async ValueTask<TFrame> ReadFrameAsync(CancellationToken cancellationToken = default)
    {
        (bool success, TFrame frame) = await TryReadFrameAsync(cancellationToken).ConfigureAwait(false);
        return success ? frame : throw new InvalidOperationException("The server closed the connection instead of sending a frame.");
    }

    /// <summary>Reads exactly <paramref name="count"/> raw bytes the server sent.</summary>
    /// <param name="count">How many bytes.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The bytes.</returns>
    public async ValueTask<byte[]> ReadRawAsync(int count, CancellationToken cancellationToken = default)
    {
        while (true)
        {
            ReadResult result = await FromServer.ReadAsync(cancellationToken).ConfigureAwait(false);
            ReadOnlySequence<byte> buffer = result.Buffer;
            if (buffer.Length >= count)
            {
                byte[] bytes = buffer.Slice(0, count).ToArray();
                FromServer.AdvanceTo(buffer.GetPosition(count));
                return bytes;
            }

            FromServer.AdvanceTo(buffer.Start, buffer.End);
            if (result.IsCompleted)
            {
                throw new InvalidOperationException($"The server closed after {buffer.Length} of {count} bytes.");
            }
        }
    }

    /// <summary>Reads everything the server sends until it closes its side.</summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The bytes.</returns>
    public async ValueTask<byte[]> ReadToEndAsync(CancellationToken cancellationToken = default)
    {
        while (true)
        {
            ReadResult result = await FromServer.ReadAsync(cancellationToken).ConfigureAwait(false);
            if (result.IsCompleted)
            {
                byte[] bytes = result.Buffer.ToArray();
                FromServer.AdvanceTo(result.Buffer.End);
                return bytes;
            }

            FromServer.AdvanceTo(result.Buffer.Start, result.Buffer.End);
        }
    }

    /// <summary>Waits for the server side to end and returns why.</summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The reason.</returns>
    public Task<DisconnectInfo> WaitForCloseAsync(CancellationToken cancellationToken = default) => Closed.WaitAsync(cancellationToken);

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await CompleteAsync().ConfigureAwait(false);
        await FromServer.CompleteAsync().ConfigureAwait(false);
        await _context.DisposeAsync().ConfigureAwait(false);
    }
}
