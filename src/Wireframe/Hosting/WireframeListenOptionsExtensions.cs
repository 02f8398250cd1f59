using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Wireframe.Hosting;

/// <summary>Binds Kestrel endpoints to a registered Wireframe application.</summary>
public static class WireframeListenOptionsExtensions
{
    /// <summary>
    /// Serves the Wireframe application registered with <c>AddWireframe</c> on this endpoint. Call
    /// <c>UseHttps</c> before it for TLS.
    /// </summary>
    /// <typeparam name="TFrame">The application's frame type (<see cref="Messages.Envelope"/> for the default).</typeparam>
    /// <param name="listenOptions">The endpoint.</param>
    /// <returns>The endpoint.</returns>
    public static ListenOptions UseWireframe<TFrame>(this ListenOptions listenOptions)
    {
        ArgumentNullException.ThrowIfNull(listenOptions);
        listenOptions.UseConnectionHandler<WireframeConnectionHandler<TFrame>>();
        return listenOptions;
    }
}
