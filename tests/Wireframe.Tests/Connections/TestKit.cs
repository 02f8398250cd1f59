using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using System.Text;
using Wireframe.Connections;
using Wireframe.Messages;
using Wireframe.Testing;

namespace Wireframe.Tests.Connections;

/// <summary>Shortcuts for driving the in-memory test kit: safety timeouts, text envelopes, hand-built wire bytes.</summary>
internal static class TestKit
{
    /// <summary>A generous bound so a broken test fails instead of hanging; never a timing assertion.</summary>
    public static readonly TimeSpan Safety = TimeSpan.FromSeconds(30);

    public static Task<T> Within<T>(this Task<T> task) => task.WaitAsync(Safety);

    public static Task Within(this Task task) => task.WaitAsync(Safety);

    public static Task<T> Within<T>(this ValueTask<T> task) => task.AsTask().WaitAsync(Safety);

    public static Task Within(this ValueTask task) => task.AsTask().WaitAsync(Safety);

    public static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);

    /// <summary>Reads a pipe to its end: everything a connection sent, for a test to compare byte for byte.</summary>
    public static async Task<byte[]> DrainAsync(PipeReader output)
    {
        var received = new ArrayBufferWriter<byte>();
        while (true)
        {
            ReadResult result = await output.ReadAsync();
            foreach (ReadOnlyMemory<byte> segment in result.Buffer)
            {
                received.Write(segment.Span);
            }

            output.AdvanceTo(result.Buffer.End);
            if (result.IsCompleted)
            {
                return received.WrittenSpan.ToArray();
            }
        }
    }

    public static string Text(this ReadOnlySequence<byte> payload) => Encoding.UTF8.GetString(payload);

    public static string Text(this Envelope frame) => frame.Payload.Text();

    public static Envelope Frame(uint messageId, string text, ulong? correlationId = null) =>
        new(messageId, correlationId, Utf8(text).AsMemory());

    public static Task<Envelope> NextFrameAsync(this TestConnection<Envelope> connection) => connection.ReadFrameAsync().Within();

    public static Task<DisconnectInfo> ClosedAsync<TFrame>(this TestConnection<TFrame> connection) => connection.Closed.Within();

    /// <summary>The wire bytes of an envelope with a 4-byte big-endian prefix, built by hand so tests can break any field.</summary>
    public static byte[] EnvelopeBytes(uint messageId, string text, ulong? correlationId = null, byte? flags = null)
    {
        byte[] payload = Utf8(text);
        int header = correlationId.HasValue ? 13 : 5;
        byte[] frame = new byte[4 + header + payload.Length];
        BinaryPrimitives.WriteUInt32BigEndian(frame, (uint)(header + payload.Length));
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(4), messageId);
        frame[8] = flags ?? (byte)(correlationId.HasValue ? 1 : 0);
        if (correlationId is ulong id)
        {
            BinaryPrimitives.WriteUInt64BigEndian(frame.AsSpan(9), id);
        }

        payload.CopyTo(frame, 4 + header);
        return frame;
    }

    /// <summary>An envelope with reserved flag bits set: malformed, but skippable because its length is known.</summary>
    public static byte[] MalformedEnvelopeBytes(string text = "bad") => EnvelopeBytes(1, text, flags: 0x80);

    /// <summary>A 4-byte big-endian length prefix.</summary>
    public static byte[] Prefix(uint declared)
    {
        byte[] prefix = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(prefix, declared);
        return prefix;
    }

    /// <summary>Ends the client's side and asserts the server had nothing more to say and saw a clean close.</summary>
    public static async Task AssertNothingMoreThenCleanCloseAsync(this TestConnection<Envelope> connection)
    {
        await connection.CompleteAsync();
        byte[] rest = await connection.ReadToEndAsync().Within();
        Assert.Empty(rest);
        DisconnectInfo info = await connection.ClosedAsync();
        Assert.Equal(DisconnectReason.PeerClosed, info.Reason);
    }
}
