namespace Wireframe.Examples.Blobs;

/// <summary>The Blobs protocol's message ids. Payloads are raw bytes; see <see cref="BlobsApp"/>.</summary>
public static class BlobMessages
{
    /// <summary>Store a blob: <c>[u16 name length][name, UTF-8][blob bytes]</c>; answered with <see cref="Stored"/> or <see cref="Error"/>.</summary>
    public const uint Put = 1;

    /// <summary>Fetch a blob: <c>[name, UTF-8]</c>; answered with <see cref="Blob"/> or <see cref="NotFound"/>.</summary>
    public const uint Get = 2;

    /// <summary>The answer to <see cref="Put"/>: <c>[u64 length][32-byte SHA-256]</c> of what was stored.</summary>
    public const uint Stored = 11;

    /// <summary>The answer to <see cref="Get"/>: the blob's bytes.</summary>
    public const uint Blob = 12;

    /// <summary>No blob has the name asked for; the payload is the name.</summary>
    public const uint NotFound = 13;

    /// <summary>A request could not be served; the payload is a UTF-8 reason.</summary>
    public const uint Error = 14;
}
