using System.Buffers;
using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Wireframe.Framing;
using Wireframe.Messages;
using Wireframe.Routing;

namespace Wireframe.Examples.Blobs;

/// <summary>
/// The Blobs example: a blob store whose transport frames carry at most 32 KiB, so every message
/// above that travels in fragments (<see cref="LenFlag32K"/>). Handlers see whole blobs, up to
/// <see cref="MaxBlobSize"/>; replies are split the same way.
/// </summary>
public static class BlobsApp
{
    /// <summary>The largest blob a client may store (and so the largest message reassembled).</summary>
    public const long MaxBlobSize = 128L * 1024 * 1024;

    /// <summary>Builds the application.</summary>
    /// <param name="store">Where blobs live.</param>
    /// <returns>The application description.</returns>
    public static WireframeAppBuilder<Envelope> Create(BlobStore store)
    {
        ArgumentNullException.ThrowIfNull(store);
        var app = WireframeApp.CreateBuilder(new LengthDelimitedOptions { MaxFrameLength = LenFlag32K.MaxFrameLength })
            .UseFragmentation(new LenFlag32K())
            .Configure(options =>
            {
                // Name + length header on top of the largest blob; two uploads may be in reassembly at once.
                options.MaxMessageSize = MaxBlobSize + 2 + ushort.MaxValue;
                options.MaxBufferedBytesPerConnection = 2 * options.MaxMessageSize;
            });

        app.Route<ReadOnlySequence<byte>>(BlobMessages.Put, async (request, context) =>
        {
            if (!TryReadPut(request, out string name, out ReadOnlySequence<byte> content))
            {
                await context.Connection.SendAsync(BlobMessages.Error, Encoding.UTF8.GetBytes("A put is [u16 name length][name][blob]."), context.CorrelationId).ConfigureAwait(false);
                return;
            }

            if (!store.TryPut(name, content))
            {
                await context.Connection.SendAsync(BlobMessages.Error, Encoding.UTF8.GetBytes("The store is full."), context.CorrelationId).ConfigureAwait(false);
                return;
            }

            await context.Connection.SendAsync(BlobMessages.Stored, Receipt(content), context.CorrelationId).ConfigureAwait(false);
        });

        app.Route<ReadOnlySequence<byte>>(BlobMessages.Get, async (request, context) =>
        {
            string name = Encoding.UTF8.GetString(request);
            if (store.TryGet(name, out byte[] blob))
            {
                await context.Connection.SendAsync(BlobMessages.Blob, blob, context.CorrelationId).ConfigureAwait(false);
            }
            else
            {
                await context.Connection.SendAsync(BlobMessages.NotFound, request.ToArray(), context.CorrelationId).ConfigureAwait(false);
            }
        });

        return app;
    }

    /// <summary>The <see cref="BlobMessages.Stored"/> payload for some content: its length and SHA-256.</summary>
    public static byte[] Receipt(ReadOnlySequence<byte> content)
    {
        byte[] receipt = new byte[8 + 32];
        BinaryPrimitives.WriteInt64BigEndian(receipt, content.Length);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (ReadOnlyMemory<byte> segment in content)
        {
            hash.AppendData(segment.Span);
        }

        hash.GetHashAndReset(receipt.AsSpan(8));
        return receipt;
    }

    /// <summary>Builds a <see cref="BlobMessages.Put"/> payload.</summary>
    public static byte[] PutPayload(string name, ReadOnlySpan<byte> content)
    {
        byte[] nameBytes = Encoding.UTF8.GetBytes(name);
        if (nameBytes.Length > ushort.MaxValue)
        {
            throw new ArgumentException("The name is longer than 65535 bytes.", nameof(name));
        }

        byte[] payload = new byte[2 + nameBytes.Length + content.Length];
        BinaryPrimitives.WriteUInt16BigEndian(payload, (ushort)nameBytes.Length);
        nameBytes.CopyTo(payload, 2);
        content.CopyTo(payload.AsSpan(2 + nameBytes.Length));
        return payload;
    }

    private static bool TryReadPut(ReadOnlySequence<byte> request, out string name, out ReadOnlySequence<byte> content)
    {
        name = "";
        content = default;
        var reader = new SequenceReader<byte>(request);
        if (!reader.TryReadBigEndian(out short signedLength))
        {
            return false;
        }

        int nameLength = (ushort)signedLength;
        if (reader.Remaining < nameLength)
        {
            return false;
        }

        name = Encoding.UTF8.GetString(request.Slice(2, nameLength));
        content = request.Slice(2 + nameLength);
        return true;
    }
}
