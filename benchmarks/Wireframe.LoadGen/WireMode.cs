namespace Wireframe.LoadGen;

/// <summary>Which frame layout the target server speaks.</summary>
internal enum WireMode
{
    /// <summary><c>[u32 BE payload length][payload]</c>.</summary>
    Raw,

    /// <summary><c>[u32 BE length = 5 + S][u32 BE message id][u8 flags][payload]</c>.</summary>
    Envelope,

    /// <summary>
    /// <see cref="Envelope"/> whose payload starts with <c>0x01</c>, the default fragment strategy's
    /// header of a whole message: what a server with <c>UseFragmentation</c> reads and echoes (a plain
    /// envelope echo echoes it too, so both can be loaded with the same bytes).
    /// </summary>
    FragmentedEnvelope,
}
