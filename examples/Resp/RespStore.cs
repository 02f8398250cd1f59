using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;

namespace Wireframe.Examples.Resp;

/// <summary>
/// The key space, shared by every connection: binary-safe keys and values, lock-free reads. Keys are
/// looked up by span, so reading, deleting and overwriting allocate nothing; a stored value is a
/// private copy, replaced (never mutated) by writes, so a reply can send it while others write.
/// </summary>
public sealed class RespStore
{
    private readonly ConcurrentDictionary<byte[], byte[]> _entries = new(ByteKeyComparer.Instance);
    private readonly ConcurrentDictionary<byte[], byte[]>.AlternateLookup<ReadOnlySpan<byte>> _lookup;

    /// <summary>Initializes a new instance of the <see cref="RespStore"/> class.</summary>
    public RespStore()
    {
        _lookup = _entries.GetAlternateLookup<ReadOnlySpan<byte>>();
    }

    /// <summary>Gets the number of keys.</summary>
    public int Count => _entries.Count;

    public bool TryGet(ReadOnlySpan<byte> key, [MaybeNullWhen(false)] out byte[] value) => _lookup.TryGetValue(key, out value);

    public bool ContainsKey(ReadOnlySpan<byte> key) => _lookup.ContainsKey(key);

    /// <summary>Stores a value the store now owns; the key is copied only when it is new.</summary>
    /// <param name="key">The key.</param>
    /// <param name="value">The value; the caller must not change it afterwards.</param>
    public void Set(ReadOnlySpan<byte> key, byte[] value) => _lookup[key] = value;

    /// <summary>Stores a value under a condition, atomically returning the value it replaced.</summary>
    /// <param name="key">The key.</param>
    /// <param name="value">The value; the caller must not change it afterwards.</param>
    /// <param name="condition">When to write.</param>
    /// <param name="previous">The value before the call, or <see langword="null"/>.</param>
    /// <returns>Whether the value was written.</returns>
    public bool Set(ReadOnlySpan<byte> key, byte[] value, SetCondition condition, out byte[]? previous)
    {
        // Compare-and-swap on the value reference; retries only when another writer got in between.
        while (true)
        {
            if (_lookup.TryGetValue(key, out byte[]? storedKey, out byte[]? old))
            {
                previous = old;
                if (condition == SetCondition.IfAbsent)
                {
                    return false;
                }

                if (_entries.TryUpdate(storedKey, value, old))
                {
                    return true;
                }
            }
            else
            {
                previous = null;
                if (condition == SetCondition.IfExists)
                {
                    return false;
                }

                if (_lookup.TryAdd(key, value))
                {
                    return true;
                }
            }
        }
    }

    public bool Remove(ReadOnlySpan<byte> key) => _lookup.TryRemove(key, out _);

    /// <summary>Adds to the integer stored as decimal text under a key (a missing key counts as 0), atomically.</summary>
    /// <param name="key">The key.</param>
    /// <param name="delta">The amount to add.</param>
    /// <param name="result">The new value.</param>
    /// <returns>Whether it worked, or why not.</returns>
    public IncrementResult TryIncrement(ReadOnlySpan<byte> key, long delta, out long result)
    {
        while (true)
        {
            bool exists = _lookup.TryGetValue(key, out byte[]? storedKey, out byte[]? old);
            long current = 0;
            if (exists && !RespIntegers.TryParse(old, out current))
            {
                result = 0;
                return IncrementResult.NotAnInteger;
            }

            if ((delta > 0 && current > long.MaxValue - delta) || (delta < 0 && current < long.MinValue - delta))
            {
                result = 0;
                return IncrementResult.Overflow;
            }

            result = current + delta;
            byte[] updated = RespIntegers.Format(result);
            if (exists ? _entries.TryUpdate(storedKey!, updated, old!) : _lookup.TryAdd(key, updated))
            {
                return IncrementResult.Done;
            }
        }
    }

    /// <summary>Removes every key.</summary>
    public void Clear() => _entries.Clear();
}
