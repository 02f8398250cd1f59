namespace Wireframe.Framing;

/// <summary>The byte order of a multi-byte integer on the wire.</summary>
public enum ByteOrder
{
    /// <summary>Most significant byte first (network order).</summary>
    BigEndian,

    /// <summary>Least significant byte first.</summary>
    LittleEndian,
}
