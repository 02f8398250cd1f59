using System.Buffers;
using Wireframe.Messages;

namespace Wireframe.Examples.Resp;

/// <summary>
/// Routes RESP frames by command name: the message id comes from the command table. RESP has no
/// correlation ids; replies are matched to commands by order, which the framework keeps because
/// each connection handles one request at a time.
/// </summary>
public sealed class RespEnvelopeFormat : IEnvelopeFormat<RespFrame>
{
    private readonly RespCommandTable _table;

    /// <summary>Initializes a new instance of the <see cref="RespEnvelopeFormat"/> class.</summary>
    /// <param name="table">The commands.</param>
    public RespEnvelopeFormat(RespCommandTable table)
    {
        _table = table ?? throw new ArgumentNullException(nameof(table));
    }

    /// <inheritdoc />
    public uint GetMessageId(in RespFrame frame)
    {
        if (!frame.IsCommand)
        {
            return frame.Kind is RespKind.Array or RespKind.Inline or RespKind.NullArray ? RespCommandIds.Empty : RespCommandIds.NotACommand;
        }

        if (frame.TryGetNameSpan(out ReadOnlySpan<byte> span))
        {
            return _table.Find(span);
        }

        ReadOnlySequence<byte> name = frame.Name;
        if (name.Length > _table.MaxNameLength)
        {
            return RespCommandIds.Unknown;
        }

        Span<byte> copy = stackalloc byte[(int)name.Length];
        name.CopyTo(copy);
        return _table.Find(copy);
    }

    /// <inheritdoc />
    public ulong? GetCorrelationId(in RespFrame frame) => null;

    /// <inheritdoc />
    public ReadOnlySequence<byte> GetPayload(in RespFrame frame) => frame.Bytes;

    /// <inheritdoc />
    /// <remarks>A handler that returns plain bytes (or anything a serializer writes) replies with a bulk string.</remarks>
    public RespFrame CreateFrame(uint messageId, ulong? correlationId, ReadOnlySequence<byte> payload) => RespFrame.BulkString(payload);
}
