using System.Buffers;

namespace Wireframe.Serialization;

/// <summary>
/// Implemented by formatters whose serialized form is the message itself (raw bytes), so the writer
/// can frame the bytes directly instead of copying them through a serialization buffer first.
/// </summary>
/// <typeparam name="T">The message type.</typeparam>
internal interface IPayloadPassthrough<T>
{
    ReadOnlySequence<byte> AsPayload(T message);
}
