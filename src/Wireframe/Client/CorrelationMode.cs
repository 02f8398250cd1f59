namespace Wireframe.Client;

/// <summary>How a client matches responses to the calls that asked for them.</summary>
public enum CorrelationMode
{
    /// <summary>
    /// Every call carries a correlation id (1, 2, 3, … per connection, unless the caller gives one)
    /// and its response carries it back, so many calls can be in flight at once and responses may
    /// arrive in any order. Frames without a correlation id are server pushes.
    /// </summary>
    Correlated,

    /// <summary>
    /// For protocols without correlation ids (RESP, for one): the server answers requests in the
    /// order it received them, so every inbound frame answers the oldest call still waiting. Calls
    /// may still be pipelined from many tasks. Inbound frames with no call waiting are pushes.
    /// </summary>
    Fifo,
}
