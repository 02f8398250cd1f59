using System.Buffers;

namespace Wireframe.Serialization;

/// <summary>Serializes types that implement <see cref="IBinaryMessage{TSelf}"/>.</summary>
public sealed class BinaryMessageSerializer : IMessageSerializer
{
    /// <summary>Gets the shared instance.</summary>
    public static BinaryMessageSerializer Instance { get; } = new();

    /// <inheritdoc />
    public IMessageFormatter<T>? GetFormatter<T>()
    {
        if (!Array.Exists(typeof(T).GetInterfaces(), i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IBinaryMessage<>) && i.GenericTypeArguments[0] == typeof(T)))
        {
            return null;
        }

        // Reflection runs once per message type while the application is built; the formatter it
        // creates calls the static members directly.
        Type formatterType = typeof(Formatter<>).MakeGenericType(typeof(T));
        return (IMessageFormatter<T>)Activator.CreateInstance(formatterType)!;
    }

    private sealed class Formatter<T> : IMessageFormatter<T>
        where T : IBinaryMessage<T>
    {
        public T Deserialize(in ReadOnlySequence<byte> payload)
        {
            var reader = new SequenceReader<byte>(payload);
            T message = T.Read(ref reader);
            if (!reader.End)
            {
                throw new MessageFormatException($"{typeof(T).Name} payload has {reader.Remaining} trailing bytes.");
            }

            return message;
        }

        public void Serialize(T message, IBufferWriter<byte> output) => message.Write(output);
    }
}
