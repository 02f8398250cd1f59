namespace Wireframe.LoadGen;

/// <summary>Not every requested connection could be opened.</summary>
internal sealed class ConnectFailedException : Exception
{
    public ConnectFailedException()
    {
    }

    public ConnectFailedException(string message)
        : base(message)
    {
    }

    public ConnectFailedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
