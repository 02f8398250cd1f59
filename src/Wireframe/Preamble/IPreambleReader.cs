using System.Buffers;

namespace Wireframe.Preamble;

/// <summary>
/// Reads a typed preamble (a protocol magic, version or hello) sent once before any frame. Bytes
/// after the preamble stay buffered for the codec.
/// </summary>
/// <typeparam name="TPreamble">The preamble type.</typeparam>
public interface IPreambleReader<TPreamble>
{
    /// <summary>Tries to read the preamble from the start of <paramref name="input"/>.</summary>
    /// <param name="input">The buffered bytes; on <see cref="PreambleStatus.Complete"/>, slice it past the preamble.</param>
    /// <param name="preamble">The preamble when complete.</param>
    /// <param name="reason">Why the bytes are invalid, when the result is <see cref="PreambleStatus.Invalid"/>.</param>
    /// <returns>The outcome.</returns>
    PreambleStatus TryRead(ref ReadOnlySequence<byte> input, out TPreamble preamble, out string? reason);
}
