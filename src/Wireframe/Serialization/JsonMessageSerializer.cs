using System.Buffers;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace Wireframe.Serialization;

/// <summary>
/// Serializes messages as UTF-8 JSON with System.Text.Json. Pass a source-generated
/// <see cref="JsonSerializerContext"/> for reflection-free, trimming-safe serialization.
/// </summary>
public sealed class JsonMessageSerializer : IMessageSerializer
{
    [ThreadStatic]
    private static Utf8JsonWriter? t_writer;

    private readonly JsonSerializerOptions _options;

    /// <summary>Initializes a new instance of the <see cref="JsonMessageSerializer"/> class.</summary>
    /// <param name="options">The options; <see langword="null"/> for <see cref="JsonSerializerOptions.Default"/>.</param>
    public JsonMessageSerializer(JsonSerializerOptions? options = null)
    {
        _options = options ?? JsonSerializerOptions.Default;

        // Like JsonSerializer itself: options without a resolver get the reflection-based one, else
        // TryGetTypeInfo finds no type at all.
        _options.MakeReadOnly(populateMissingResolver: true);
    }

    /// <summary>Initializes a new instance of the <see cref="JsonMessageSerializer"/> class.</summary>
    /// <param name="context">A source-generated context that knows every message type.</param>
    public JsonMessageSerializer(JsonSerializerContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        _options = context.Options;
    }

    /// <inheritdoc />
    public IMessageFormatter<T>? GetFormatter<T>()
    {
        if (!_options.TryGetTypeInfo(typeof(T), out JsonTypeInfo? info))
        {
            return null;
        }

        return new Formatter<T>((JsonTypeInfo<T>)info);
    }

    private sealed class Formatter<T>(JsonTypeInfo<T> info) : IMessageFormatter<T>
    {
        // A reader's own options take precedence over the serializer options' reader settings.
        private readonly JsonReaderOptions _readerOptions = new()
        {
            AllowTrailingCommas = info.Options.AllowTrailingCommas,
            CommentHandling = info.Options.ReadCommentHandling,
            MaxDepth = info.Options.MaxDepth,
        };

        public T Deserialize(in ReadOnlySequence<byte> payload)
        {
            try
            {
                var reader = new Utf8JsonReader(payload, _readerOptions);
                T? message = JsonSerializer.Deserialize(ref reader, info);

                // Deserializing from a reader stops after one value; the payload must hold nothing else.
                if (reader.Read())
                {
                    throw new MessageFormatException($"{typeof(T).Name} payload has data after the JSON value.");
                }

                return message ?? throw new MessageFormatException($"{typeof(T).Name} payload is JSON null.");
            }
            catch (JsonException ex)
            {
                throw new MessageFormatException($"{typeof(T).Name} payload is not valid JSON: {ex.Message}", ex);
            }
        }

        public void Serialize(T message, IBufferWriter<byte> output)
        {
            // One writer per thread, re-pointed at each output: serialization is synchronous, so
            // no other message can use it in between.
            Utf8JsonWriter writer = t_writer ??= new Utf8JsonWriter(output, new JsonWriterOptions { SkipValidation = true });
            writer.Reset(output);
            try
            {
                JsonSerializer.Serialize(writer, message, info);
                writer.Flush();
            }
            finally
            {
                writer.Reset(NullBufferWriter.Instance);
            }
        }
    }

    private sealed class NullBufferWriter : IBufferWriter<byte>
    {
        public static readonly NullBufferWriter Instance = new();

        public void Advance(int count)
        {
        }

        public Memory<byte> GetMemory(int sizeHint = 0) => Memory<byte>.Empty;

        public Span<byte> GetSpan(int sizeHint = 0) => Span<byte>.Empty;
    }
}
