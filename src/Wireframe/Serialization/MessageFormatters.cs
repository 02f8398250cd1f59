namespace Wireframe.Serialization;

/// <summary>
/// The ordered list of serializers an application uses: binary messages, raw bytes, then the user's
/// (a general serializer such as JSON would otherwise claim byte arrays too). Resolved once per
/// message type while the application is built.
/// </summary>
internal sealed class MessageFormatters
{
    private readonly IMessageSerializer[] _serializers;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<Type, object> _resolved = new();

    public MessageFormatters(IEnumerable<IMessageSerializer> userSerializers)
    {
        _serializers = [BinaryMessageSerializer.Instance, RawBytesSerializer.Instance, .. userSerializers];
    }

    /// <summary>Resolves a type's formatter once and remembers it, for callers (the client) that meet message types as they go.</summary>
    public IMessageFormatter<T> GetCached<T>() =>
        (IMessageFormatter<T>)_resolved.GetOrAdd(typeof(T), static (_, formatters) => formatters.Get<T>(), this);

    public IMessageFormatter<T> Get<T>()
    {
        foreach (IMessageSerializer serializer in _serializers)
        {
            if (serializer.GetFormatter<T>() is { } formatter)
            {
                return formatter;
            }
        }

        throw new InvalidOperationException(
            $"No serializer can handle {typeof(T).FullName}. Implement {nameof(IBinaryMessage<>)}<{typeof(T).Name}>, " +
            "or add a serializer that knows it (for example UseJson with a context that includes the type).");
    }
}
