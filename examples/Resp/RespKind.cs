namespace Wireframe.Examples.Resp;

/// <summary>The RESP2 shapes a <see cref="RespFrame"/> can take.</summary>
public enum RespKind : byte
{
    /// <summary>The default value of <see cref="RespFrame"/>; not a valid frame.</summary>
    None,

    /// <summary><c>+OK\r\n</c>.</summary>
    SimpleString,

    /// <summary><c>-ERR message\r\n</c>.</summary>
    Error,

    /// <summary><c>:42\r\n</c>.</summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1720", Justification = "RESP's own name for the type.")]
    Integer,

    /// <summary><c>$5\r\nhello\r\n</c>.</summary>
    BulkString,

    /// <summary><c>$-1\r\n</c>, the reply for a missing key.</summary>
    NullBulkString,

    /// <summary>
    /// <c>*2\r\n$3\r\nGET\r\n$1\r\nk\r\n</c>: a command from a client, or an array reply. Decoded
    /// arrays are always arrays of bulk strings (the only array a client may send).
    /// </summary>
    Array,

    /// <summary><c>*-1\r\n</c>.</summary>
    NullArray,

    /// <summary>A command typed as a line of words, <c>PING\r\n</c>, as telnet and nc users send it.</summary>
    Inline,
}
