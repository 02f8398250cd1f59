using System.Buffers;

namespace Wireframe.Serialization;

/// <summary>
/// A message that reads and writes its own binary form: the fastest way to define messages, with
/// no allocation beyond the message itself.
/// </summary>
/// <typeparam name="TSelf">The implementing type.</typeparam>
/// <example>
/// <code>
/// public readonly record struct Ping(uint Value) : IBinaryMessage&lt;Ping&gt;
/// {
///     public static Ping Read(ref SequenceReader&lt;byte&gt; reader) =>
///         reader.TryReadBigEndian(out int v) ? new Ping((uint)v) : throw new MessageFormatException("Ping needs 4 bytes.");
///     public void Write(IBufferWriter&lt;byte&gt; output) => ...;
/// }
/// </code>
/// </example>
public interface IBinaryMessage<TSelf>
    where TSelf : IBinaryMessage<TSelf>
{
    /// <summary>Reads the message. Bytes left unread after the call make the payload malformed.</summary>
    /// <param name="reader">A reader over the payload.</param>
    /// <returns>The message.</returns>
    /// <exception cref="MessageFormatException">The payload is not a valid message.</exception>
    static abstract TSelf Read(ref SequenceReader<byte> reader);

    /// <summary>Writes the message.</summary>
    /// <param name="output">Where to write.</param>
    void Write(IBufferWriter<byte> output);
}
