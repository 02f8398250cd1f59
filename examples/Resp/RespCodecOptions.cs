namespace Wireframe.Examples.Resp;

/// <summary>
/// The limits the RESP codec enforces while decoding. Each is checked from a header, before the
/// bytes it announces are buffered, and breaking one closes the connection as an oversized frame.
/// </summary>
public sealed class RespCodecOptions
{
    /// <summary>Gets the largest bulk string accepted, in bytes. Default 64 MiB (Redis allows 512 MiB).</summary>
    public int MaxBulkLength { get; init; } = 64 * 1024 * 1024;

    /// <summary>Gets the most elements an array (a command's arguments) may have. Default 1,048,576.</summary>
    public int MaxArrayLength { get; init; } = 1024 * 1024;

    /// <summary>Gets the longest inline command or simple string line, in bytes. Default 64 KiB, as Redis.</summary>
    public int MaxInlineLength { get; init; } = 64 * 1024;

    /// <summary>
    /// Gets the largest whole command, in bytes. Default 128 MiB. A command is buffered whole before
    /// it is handled, so this bounds the input a connection can make the server hold: the transport's
    /// pause threshold does not, since a pipe pauses only on bytes its reader has not examined yet,
    /// and the read loop examines all it has while it waits for the end of a command.
    /// </summary>
    public int MaxFrameLength { get; init; } = 128 * 1024 * 1024;

    /// <summary>Throws when a limit is not positive or the frame limit cannot hold a largest bulk string.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A limit is out of range.</exception>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxBulkLength);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxArrayLength);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxInlineLength);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxFrameLength, MaxBulkLength);
    }
}
