using System.Net;
using System.Net.Sockets;

namespace Wireframe.LoadGen;

/// <summary>
/// Holds N silent connections open so the server's resident memory per idle connection can be read
/// from outside.
/// </summary>
internal static class IdleRun
{
    public static async Task<int> RunAsync(LoadOptions options)
    {
        IPEndPoint endPoint = await Connector.ResolveAsync(options.Host, options.Port);
        Socket[] sockets = await Connector.ConnectAllAsync(endPoint, options.IdleConnections);
        try
        {
            // The driving script waits for exactly this line.
            Console.Out.WriteLine($"IDLE_READY {sockets.Length}");
            Console.Out.Flush();

            Task stdinClosed = Task.Factory.StartNew(WaitForEndOfInput, TaskCreationOptions.LongRunning);
            Task held = Task.Delay(TimeSpan.FromSeconds(options.HoldSeconds));
            Task first = await Task.WhenAny(stdinClosed, held);
            await Console.Error.WriteLineAsync(first == held
                ? $"hold time of {options.HoldSeconds} s elapsed, closing {sockets.Length} connections"
                : $"stdin closed, closing {sockets.Length} connections");
        }
        finally
        {
            foreach (Socket socket in sockets)
            {
                socket.Dispose();
            }
        }

        return 0;
    }

    private static void WaitForEndOfInput()
    {
        // The thread is a background thread: if the hold time wins, the process exits without it.
        using Stream input = Console.OpenStandardInput();
        var sink = new byte[256];
        while (input.Read(sink) > 0)
        {
        }
    }
}
