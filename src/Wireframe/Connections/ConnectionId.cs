namespace Wireframe.Connections;

/// <summary>A process-wide unique, never reused identifier of a connection.</summary>
/// <param name="Value">The numeric id, starting at 1.</param>
public readonly record struct ConnectionId(long Value)
{
    private static long s_last;

    internal static ConnectionId Next() => new(Interlocked.Increment(ref s_last));

    /// <inheritdoc />
    public override string ToString() => Value.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
