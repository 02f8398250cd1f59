using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using Wireframe.Connections;
using Wireframe.Messages;
using Wireframe.Outbound;
using Wireframe.Serialization;

namespace Wireframe.Tests.Streams;

/// <summary>
/// Protocol hooks that register every connection in a <see cref="SessionRegistry{TFrame}"/> at setup
/// and, optionally, push it a hello frame (<see cref="HelloId"/>) carrying its connection id. Keeps no
/// reference to any connection, so garbage-collection tests can use it.
/// </summary>
internal sealed class RegisteringProtocol(SessionRegistry<Envelope> registry, bool hello = true) : IWireframeProtocol<Envelope>
{
    public const uint HelloId = 600;

    private int _registered;

    public int Registered => Volatile.Read(ref _registered);

    public ValueTask OnConnectionSetupAsync(PushHandle<Envelope> pushes, WireframeConnection<Envelope> connection)
    {
        if (registry.Register(pushes))
        {
            Interlocked.Increment(ref _registered);
        }

        if (hello)
        {
            byte[] id = new byte[8];
            BinaryPrimitives.WriteInt64BigEndian(id, connection.Id.Value);
            pushes.TryPush(HelloId, id);
        }

        return ValueTask.CompletedTask;
    }

    public static ConnectionId ReadHello(Envelope frame)
    {
        Assert.Equal(HelloId, frame.MessageId);
        return new ConnectionId(BinaryPrimitives.ReadInt64BigEndian(frame.Payload.ToArray()));
    }
}

/// <summary>A message only <see cref="CountingSerializer"/> knows.</summary>
public sealed record Notice(string Text);

/// <summary>Serializes <see cref="Notice"/> as UTF-8 and counts how often it does.</summary>
internal sealed class CountingSerializer : IMessageSerializer
{
    private readonly Formatter _formatter = new();

    public int Serialized => _formatter.Count;

    public IMessageFormatter<T>? GetFormatter<T>() => typeof(T) == typeof(Notice) ? (IMessageFormatter<T>)(object)_formatter : null;

    private sealed class Formatter : IMessageFormatter<Notice>
    {
        private int _count;

        public int Count => Volatile.Read(ref _count);

        public Notice Deserialize(in ReadOnlySequence<byte> payload) => new(Encoding.UTF8.GetString(payload));

        public void Serialize(Notice message, IBufferWriter<byte> output)
        {
            Interlocked.Increment(ref _count);
            Encoding.UTF8.GetBytes(message.Text, output);
        }
    }
}
