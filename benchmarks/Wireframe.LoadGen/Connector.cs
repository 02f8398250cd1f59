using System.Net;
using System.Net.Sockets;

namespace Wireframe.LoadGen;

/// <summary>Opens many connections with bounded parallelism and an overall deadline.</summary>
internal static class Connector
{
    // Enough to connect thousands quickly without overflowing the server's accept backlog, which
    // would turn into one-second SYN retransmits and a skewed idle-memory reading.
    private const int Parallelism = 64;

    public static async Task<IPEndPoint> ResolveAsync(string host, int port)
    {
        if (IPAddress.TryParse(host, out IPAddress? address))
        {
            return new IPEndPoint(address, port);
        }

        IPAddress[] addresses = await Dns.GetHostAddressesAsync(host);
        if (addresses.Length == 0)
        {
            throw new SocketException((int)SocketError.HostNotFound);
        }

        return new IPEndPoint(addresses[0], port);
    }

    /// <exception cref="ConnectFailedException">When any connection fails or the deadline passes.</exception>
    public static async Task<Socket[]> ConnectAllAsync(IPEndPoint endPoint, int count)
    {
        var sockets = new Socket?[count];
        int next = -1;
        int connected = 0;

        // Generous, but bounded: a server that stops accepting must not hang the tool.
        TimeSpan timeout = TimeSpan.FromSeconds(10 + (count / 200));
        using var deadline = new CancellationTokenSource(timeout);

        async Task ConnectSomeAsync()
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < count)
            {
                var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                sockets[i] = socket;
                await socket.ConnectAsync(endPoint, deadline.Token);
                Interlocked.Increment(ref connected);
            }
        }

        var workers = new Task[Math.Min(count, Parallelism)];
        for (int w = 0; w < workers.Length; w++)
        {
            workers[w] = ConnectSomeAsync();
        }

        try
        {
            await Task.WhenAll(workers);
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException)
        {
            foreach (Socket? socket in sockets)
            {
                socket?.Dispose();
            }

            string why = ex is SocketException se
                ? $"{se.SocketErrorCode} ({se.Message})"
                : $"timed out after {timeout.TotalSeconds:0} s";
            throw new ConnectFailedException($"could not connect to {endPoint}: {why}; {connected} of {count} connections were open", ex);
        }

        return sockets!;
    }
}
