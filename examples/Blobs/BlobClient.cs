using System.Buffers;
using System.IO.Pipelines;
using System.Net.Sockets;
using System.Text;
using Wireframe.Fragmentation;
using Wireframe.Framing;
using Wireframe.Messages;

namespace Wireframe.Examples.Blobs;

/// <summary>
/// A minimal Blobs client over a plain socket, one call at a time: it splits what it sends and
/// puts back together what it receives with the same <see cref="LenFlag32K"/> strategy as the server.
/// </summary>
public sealed class BlobClient : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly PipeReader _input;
    private readonly PipeWriter _output;
    private readonly EnvelopeCodec _codec = new(new LengthDelimitedOptions { MaxFrameLength = LenFlag32K.MaxFrameLength });
    private readonly LenFlag32K _strategy = new();
    private ulong _lastCorrelationId;

    private BlobClient(Socket socket)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: true);
        _input = PipeReader.Create(_stream);
        _output = PipeWriter.Create(_stream);
    }

    /// <summary>Connects to a Blobs server.</summary>
    public static async Task<BlobClient> ConnectAsync(string host, int port, CancellationToken cancellationToken = default)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(host, port, cancellationToken).ConfigureAwait(false);
            return new BlobClient(socket);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Stores a blob; returns the server's receipt (<c>[u64 length][SHA-256]</c>).</summary>
    public async Task<byte[]> PutAsync(string name, ReadOnlyMemory<byte> content, CancellationToken cancellationToken = default)
    {
        (uint id, byte[] reply) = await CallAsync(BlobMessages.Put, BlobsApp.PutPayload(name, content.Span), cancellationToken).ConfigureAwait(false);
        return id == BlobMessages.Stored ? reply : throw new InvalidOperationException($"The server refused the put: {Encoding.UTF8.GetString(reply)}");
    }

    /// <summary>Fetches a blob, or <see langword="null"/> when the server has none by that name.</summary>
    public async Task<byte[]?> GetAsync(string name, CancellationToken cancellationToken = default)
    {
        (uint id, byte[] reply) = await CallAsync(BlobMessages.Get, Encoding.UTF8.GetBytes(name), cancellationToken).ConfigureAwait(false);
        return id == BlobMessages.Blob ? reply : null;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _output.CompleteAsync().ConfigureAwait(false);
        await _input.CompleteAsync().ConfigureAwait(false);
        await _stream.DisposeAsync().ConfigureAwait(false);
        _socket.Dispose();
    }

    private async Task<(uint MessageId, byte[] Payload)> CallAsync(uint messageId, byte[] payload, CancellationToken cancellationToken)
    {
        ulong correlationId = ++_lastCorrelationId;
        await SendAsync(messageId, correlationId, payload, cancellationToken).ConfigureAwait(false);
        return await ReceiveAsync(correlationId, cancellationToken).ConfigureAwait(false);
    }

    private async Task SendAsync(uint messageId, ulong correlationId, byte[] payload, CancellationToken cancellationToken)
    {
        var envelope = new Envelope(messageId, correlationId, payload.AsMemory());
        byte[] fragment = new byte[LenFlag32K.HeaderSize + LenFlag32K.MaxChunk];
        int offset = 0;
        do
        {
            int length = Math.Min(LenFlag32K.MaxChunk, payload.Length - offset);
            bool last = offset + length == payload.Length;
            var header = new ArrayBufferWriter<byte>(LenFlag32K.HeaderSize);
            _strategy.EncodeHeader(envelope, FragmentHeader.Sequential(messageId, last), length, header);
            header.WrittenSpan.CopyTo(fragment);
            payload.AsSpan(offset, length).CopyTo(fragment.AsSpan(LenFlag32K.HeaderSize));
            _codec.Encode(new Envelope(messageId, correlationId, fragment.AsMemory(0, LenFlag32K.HeaderSize + length)), _output);
            offset += length;
            if (_output.UnflushedBytes >= 256 * 1024 || last)
            {
                await _output.FlushAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        while (offset < payload.Length);
    }

    private async Task<(uint MessageId, byte[] Payload)> ReceiveAsync(ulong correlationId, CancellationToken cancellationToken)
    {
        var message = new ArrayBufferWriter<byte>();
        while (true)
        {
            ReadResult result = await _input.ReadAsync(cancellationToken).ConfigureAwait(false);
            ReadOnlySequence<byte> buffer = result.Buffer;
            try
            {
                while (_codec.TryDecode(ref buffer, out Envelope frame) is { Status: DecodeStatus.Frame })
                {
                    if (frame.CorrelationId != correlationId
                        || _strategy.DecodeHeader(frame, frame.Payload, out FragmentHeader header, out int headerLength) != FragmentDecodeStatus.Fragment)
                    {
                        throw new InvalidDataException($"Unexpected frame: message {frame.MessageId}, correlation {frame.CorrelationId}.");
                    }

                    foreach (ReadOnlyMemory<byte> segment in frame.Payload.Slice(headerLength))
                    {
                        message.Write(segment.Span);
                    }

                    if (header.IsLast)
                    {
                        return (frame.MessageId, message.WrittenSpan.ToArray());
                    }
                }

                if (result.IsCompleted)
                {
                    throw new EndOfStreamException("The server closed the connection in the middle of a reply.");
                }
            }
            finally
            {
                _input.AdvanceTo(buffer.Start, buffer.End);
            }
        }
    }
}
