using System.Buffers;
using System.Collections.Concurrent;

namespace Wireframe.Examples.Blobs;

/// <summary>Named blobs in memory, with a cap on the total size so clients cannot fill the server.</summary>
/// <param name="maxTotalBytes">The most bytes all blobs together may take.</param>
public sealed class BlobStore(long maxTotalBytes)
{
    private readonly ConcurrentDictionary<string, byte[]> _blobs = new(StringComparer.Ordinal);
    private long _total;

    /// <summary>Gets the bytes stored.</summary>
    public long TotalBytes => Volatile.Read(ref _total);

    /// <summary>Stores a copy of <paramref name="content"/> under <paramref name="name"/>, replacing any blob there.</summary>
    /// <returns><see langword="false"/> when the store would grow past its cap.</returns>
    public bool TryPut(string name, ReadOnlySequence<byte> content)
    {
        if (Interlocked.Add(ref _total, content.Length) > maxTotalBytes)
        {
            Interlocked.Add(ref _total, -content.Length);
            return false;
        }

        byte[] copy = content.ToArray();
        byte[]? replaced = null;

        // The update may run more than once under contention; the last run saw the blob actually replaced.
        _blobs.AddOrUpdate(name, copy, (_, old) =>
        {
            replaced = old;
            return copy;
        });
        if (replaced is not null)
        {
            Interlocked.Add(ref _total, -replaced.Length);
        }

        return true;
    }

    /// <summary>Gets a blob.</summary>
    public bool TryGet(string name, out byte[] content) => _blobs.TryGetValue(name, out content!);
}
