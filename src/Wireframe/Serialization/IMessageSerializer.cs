namespace Wireframe.Serialization;

/// <summary>
/// A source of <see cref="IMessageFormatter{T}"/>s. The framework asks for a formatter once per
/// message type when the application is built, never per message.
/// </summary>
public interface IMessageSerializer
{
    /// <summary>Gets the formatter for <typeparamref name="T"/>, or <see langword="null"/> when this serializer cannot handle it.</summary>
    /// <typeparam name="T">The message type.</typeparam>
    /// <returns>A formatter, or <see langword="null"/>.</returns>
    IMessageFormatter<T>? GetFormatter<T>();
}
