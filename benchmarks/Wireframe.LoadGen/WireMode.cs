namespace Wireframe.LoadGen;

/// <summary>Which frame layout the target server speaks.</summary>
internal enum WireMode
{
    /// <summary><c>[u32 BE payload length][payload]</c>.</summary>
    Raw,

    /// <summary><c>[u32 BE length = 5 + S][u32 BE message id][u8 flags][payload]</c>.</summary>
    Envelope,
}
