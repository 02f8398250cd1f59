using System.Buffers.Binary;
using System.Net.Sockets;

namespace Wireframe.Tests.Support;

/// <summary>Reads length-prefixed frames (4-byte big-endian length) straight off a socket, for hand-rolled test servers.</summary>
public static class SocketFrames
{
    /// <summary>Reads one frame's body; <see cref="EndOfStreamException"/> if the peer closes first.</summary>
    public static async Task<byte[]> ReadFrameAsync(Socket socket)
    {
        byte[] prefix = new byte[4];
        await ReadExactlyAsync(socket, prefix);
        byte[] frame = new byte[BinaryPrimitives.ReadUInt32BigEndian(prefix)];
        await ReadExactlyAsync(socket, frame);
        return frame;
    }

    /// <summary>Fills <paramref name="buffer"/> from the socket; <see cref="EndOfStreamException"/> if the peer closes first.</summary>
    public static async Task ReadExactlyAsync(Socket socket, Memory<byte> buffer)
    {
        ArgumentNullException.ThrowIfNull(socket);
        while (!buffer.IsEmpty)
        {
            int read = await socket.ReceiveAsync(buffer);
            if (read == 0)
            {
                throw new EndOfStreamException();
            }

            buffer = buffer[read..];
        }
    }
}
