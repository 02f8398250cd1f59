namespace Wireframe.Routing;

/// <summary>A step of the request pipeline: middleware, or the router at its end.</summary>
/// <typeparam name="TFrame">The application's frame type.</typeparam>
/// <param name="context">The request.</param>
/// <returns>A task that completes when the request is handled.</returns>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1711", Justification = "Named after ASP.NET Core's RequestDelegate, which it mirrors.")]
public delegate ValueTask RequestDelegate<TFrame>(RequestContext<TFrame> context);
