using System.Buffers;

namespace Wireframe.Serialization;

/// <summary>Converts one message type to and from payload bytes. Implementations must be thread-safe.</summary>
/// <typeparam name="T">The message type.</typeparam>
public interface IMessageFormatter<T>
{
    /// <summary>Reads a message from a payload.</summary>
    /// <param name="payload">The payload; it may reference the connection's input buffer and is only valid during the call.</param>
    /// <returns>The message.</returns>
    /// <exception cref="MessageFormatException">The payload is not a valid <typeparamref name="T"/>.</exception>
    T Deserialize(in ReadOnlySequence<byte> payload);

    /// <summary>Writes a message as a payload.</summary>
    /// <param name="message">The message.</param>
    /// <param name="output">Where to write.</param>
    void Serialize(T message, IBufferWriter<byte> output);
}
