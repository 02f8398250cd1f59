namespace Wireframe.Routing;

/// <summary>The response type of handlers that send nothing back; its only value is <see langword="null"/>.</summary>
public sealed class NoResponse
{
    private NoResponse()
    {
    }
}
