namespace Wireframe.Routing;

/// <summary>What happens to a frame whose message id has no route.</summary>
public enum UnknownMessagePolicy
{
    /// <summary>Log it, count it, and go on with the next frame.</summary>
    Ignore,

    /// <summary>Hand it to the unknown-message hook, which may reply, and go on.</summary>
    Reply,

    /// <summary>Log it, count it, and close the connection.</summary>
    Close,
}
