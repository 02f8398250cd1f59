using System.Net.Sockets;

namespace Wireframe.Tests.Support;

/// <summary>Client-side conveniences for integration tests over real sockets.</summary>
public static class FrameSocketExtensions
{
    /// <summary>Reads one envelope frame, or null at EOF.</summary>
    public static async Task<EnvelopeReply?> ReadEnvelopeAsync(this FrameSocket client)
    {
        ArgumentNullException.ThrowIfNull(client);
        byte[]? body = await client.ReadFrameAsync();
        return body is null ? null : EnvelopeReply.Parse(body);
    }

    /// <summary>Reads one frame body, or returns null when the server closed or reset the connection instead.</summary>
    public static async Task<byte[]?> TryReadFrameAsync(this FrameSocket client)
    {
        ArgumentNullException.ThrowIfNull(client);
        try
        {
            return await client.ReadFrameAsync();
        }
        catch (SocketException)
        {
            return null;
        }
    }

    /// <summary>Sends every byte with its own send call (the socket has NoDelay), so the server sees the smallest possible reads.</summary>
    public static async Task SendBytewiseAsync(this FrameSocket client, ReadOnlyMemory<byte> bytes)
    {
        ArgumentNullException.ThrowIfNull(client);
        for (int i = 0; i < bytes.Length; i++)
        {
            await client.SendAsync(bytes.Slice(i, 1));
        }
    }

    /// <summary>Sends bytes in pieces of at most <paramref name="chunkSize"/> bytes, one send call each.</summary>
    public static async Task SendInChunksAsync(this FrameSocket client, ReadOnlyMemory<byte> bytes, int chunkSize)
    {
        ArgumentNullException.ThrowIfNull(client);
        for (int offset = 0; offset < bytes.Length; offset += chunkSize)
        {
            await client.SendAsync(bytes.Slice(offset, Math.Min(chunkSize, bytes.Length - offset)));
        }
    }

    /// <summary>Sends bytes to a server that may already have closed the connection; a reset is not an error here.</summary>
    public static async Task TrySendAsync(this FrameSocket client, ReadOnlyMemory<byte> bytes)
    {
        ArgumentNullException.ThrowIfNull(client);
        try
        {
            await client.SendAsync(bytes);
        }
        catch (SocketException)
        {
        }
    }
}
