namespace Wireframe.Routing;

/// <summary>
/// Supplies a handler parameter from the request (a session token parsed from the payload, the
/// authenticated user of the connection, a service). Registered once on the builder and bound to
/// each handler that asks for <typeparamref name="T"/> when the application is built.
/// </summary>
/// <typeparam name="T">The parameter type.</typeparam>
public interface IRequestExtractor<T>
{
    /// <summary>Produces the parameter for one request.</summary>
    /// <param name="context">The request.</param>
    /// <returns>The value. Throw <see cref="WireframeProtocolException"/> to reject the request.</returns>
    ValueTask<T> ExtractAsync(RequestContext context);
}
