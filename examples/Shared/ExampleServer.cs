using Wireframe.Hosting;

namespace Wireframe.Examples;

/// <summary>Starting an example's server the way every example does.</summary>
internal static class ExampleServer
{
    /// <summary>
    /// Starts the server. Returns <see langword="false"/> when Ctrl+C (SIGINT or SIGTERM) arrived while
    /// it was still starting: the host then aborts the start, and the program should just exit.
    /// </summary>
    public static async Task<bool> TryStartAsync(WireframeServer server)
    {
        try
        {
            await server.StartAsync();
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}
