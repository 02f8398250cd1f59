using Microsoft.Extensions.DependencyInjection;
using Wireframe.Routing;

namespace Wireframe.Testing;

/// <summary>Shortcuts for creating test hosts.</summary>
public static class WireframeTest
{
    /// <summary>Creates a test host for an application.</summary>
    /// <typeparam name="TFrame">The application's frame type.</typeparam>
    /// <param name="application">The application description.</param>
    /// <param name="configureServices">Adds services handlers need.</param>
    /// <returns>The host.</returns>
    public static WireframeTestHost<TFrame> CreateHost<TFrame>(WireframeAppBuilder<TFrame> application, Action<IServiceCollection>? configureServices = null) =>
        new(application, configureServices);
}
