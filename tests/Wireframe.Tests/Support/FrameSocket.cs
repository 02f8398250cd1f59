using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace Wireframe.Tests.Support;

/// <summary>A plain TCP client for tests: sends bytes and reads length-prefixed frames (4-byte big-endian length).</summary>
public sealed class FrameSocket : IAsyncDisposable
{
    private static readonly TimeSpan ReadTimeout = TimeSpan.FromSeconds(30);
    private readonly Socket _socket;

    private FrameSocket(Socket socket)
    {
        _socket = socket;
    }

    public Socket Socket => _socket;

    public static async Task<FrameSocket> ConnectAsync(IPEndPoint endPoint)
    {
        var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(endPoint);
        return new FrameSocket(socket);
    }

    public static async Task<FrameSocket> ConnectUnixAsync(string path)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await socket.ConnectAsync(new UnixDomainSocketEndPoint(path));
        return new FrameSocket(socket);
    }

    public static byte[] Envelope(uint messageId, ReadOnlySpan<byte> payload, ulong? correlationId = null)
    {
        int header = correlationId.HasValue ? 13 : 5;
        byte[] frame = new byte[4 + header + payload.Length];
        BinaryPrimitives.WriteUInt32BigEndian(frame, (uint)(header + payload.Length));
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(4), messageId);
        frame[8] = (byte)(correlationId.HasValue ? 1 : 0);
        if (correlationId is ulong id)
        {
            BinaryPrimitives.WriteUInt64BigEndian(frame.AsSpan(9), id);
        }

        payload.CopyTo(frame.AsSpan(4 + header));
        return frame;
    }

    public static byte[] Raw(ReadOnlySpan<byte> payload)
    {
        byte[] frame = new byte[4 + payload.Length];
        BinaryPrimitives.WriteUInt32BigEndian(frame, (uint)payload.Length);
        payload.CopyTo(frame.AsSpan(4));
        return frame;
    }

    public async Task SendAsync(ReadOnlyMemory<byte> bytes)
    {
        while (!bytes.IsEmpty)
        {
            int sent = await _socket.SendAsync(bytes, SocketFlags.None);
            bytes = bytes[sent..];
        }
    }

    /// <summary>Reads one length-prefixed frame and returns its body (without the prefix), or null at EOF.</summary>
    public async Task<byte[]?> ReadFrameAsync()
    {
        byte[] prefix = new byte[4];
        if (!await ReadExactlyAsync(prefix))
        {
            return null;
        }

        byte[] body = new byte[BinaryPrimitives.ReadUInt32BigEndian(prefix)];
        if (!await ReadExactlyAsync(body))
        {
            throw new EndOfStreamException("The server closed in the middle of a frame.");
        }

        return body;
    }

    /// <summary>Reads until the server closes; returns what arrived.</summary>
    public async Task<byte[]> ReadToEndAsync()
    {
        using var cts = new CancellationTokenSource(ReadTimeout);
        var all = new MemoryStream();
        byte[] buffer = new byte[4096];
        while (true)
        {
            int read;
            try
            {
                read = await _socket.ReceiveAsync(buffer, SocketFlags.None, cts.Token);
            }
            catch (SocketException)
            {
                break;
            }

            if (read == 0)
            {
                break;
            }

            all.Write(buffer, 0, read);
        }

        return all.ToArray();
    }

    public async Task<bool> ReadExactlyAsync(Memory<byte> buffer)
    {
        using var cts = new CancellationTokenSource(ReadTimeout);
        int total = 0;
        while (total < buffer.Length)
        {
            int read = await _socket.ReceiveAsync(buffer[total..], SocketFlags.None, cts.Token);
            if (read == 0)
            {
                if (total == 0)
                {
                    return false;
                }

                throw new EndOfStreamException($"The server closed after {total} of {buffer.Length} bytes.");
            }

            total += read;
        }

        return true;
    }

    public ValueTask DisposeAsync()
    {
        _socket.Dispose();
        return default;
    }
}
