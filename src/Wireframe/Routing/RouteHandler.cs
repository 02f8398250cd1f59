namespace Wireframe.Routing;

/// <summary>A handler bound to its message types when the application was built.</summary>
internal abstract class RouteHandler<TFrame>
{
    protected RouteHandler(string description)
    {
        Description = description;
    }

    /// <summary>Gets a description for errors, such as "Ping -> Pong".</summary>
    public string Description { get; }

    public abstract ValueTask InvokeAsync(RequestContext<TFrame> context);
}
