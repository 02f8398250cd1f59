using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using Microsoft.AspNetCore.Connections;

namespace Wireframe.Baseline;

/// <summary>
/// Echoes <c>[u32 BE length][payload]</c> frames back unchanged: the hand-written Kestrel code the
/// framework is measured against, so it does the least a real frame handler must: find each frame,
/// copy it out, flush once per read.
/// </summary>
public sealed class EchoHandler : ConnectionHandler
{
    private const int HeaderLength = 4;

    // Not a protocol limit, just a guard against a garbage prefix making us buffer gigabytes.
    private const uint MaxPayloadLength = 16 * 1024 * 1024;

    public override async Task OnConnectedAsync(ConnectionContext connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        PipeReader input = connection.Transport.Input;
        PipeWriter output = connection.Transport.Output;

        try
        {
            while (true)
            {
                ReadResult result = await input.ReadAsync();
                ReadOnlySequence<byte> buffer = result.Buffer;
                SequencePosition consumed = EchoCompleteFrames(buffer, output, out int frames);

                // Everything consumed has been copied into the output pipe, so the input can be released first.
                input.AdvanceTo(consumed, buffer.End);

                if (frames > 0)
                {
                    FlushResult flush = await output.FlushAsync();
                    if (flush.IsCompleted)
                    {
                        break;
                    }
                }

                if (result.IsCompleted)
                {
                    break;
                }
            }
        }
        catch (InvalidDataException)
        {
            // Oversized prefix: drop the connection without a stack trace in the log.
        }
        catch (ConnectionResetException)
        {
        }
        catch (ConnectionAbortedException)
        {
            // Shutdown outlived HostOptions.ShutdownTimeout; the abort is the intended outcome.
        }
        finally
        {
            await input.CompleteAsync();
            await output.CompleteAsync();
        }
    }

    private static SequencePosition EchoCompleteFrames(in ReadOnlySequence<byte> buffer, PipeWriter output, out int frames)
    {
        var reader = new SequenceReader<byte>(buffer);
        Span<byte> header = stackalloc byte[HeaderLength];
        frames = 0;

        while (reader.TryCopyTo(header))
        {
            uint length = BinaryPrimitives.ReadUInt32BigEndian(header);
            if (length > MaxPayloadLength)
            {
                throw new InvalidDataException($"frame length {length} exceeds {MaxPayloadLength}");
            }

            int frameLength = HeaderLength + (int)length;
            if (reader.Remaining < frameLength)
            {
                break;
            }

            ReadOnlySpan<byte> contiguous = reader.UnreadSpan;
            if (contiguous.Length >= frameLength)
            {
                output.Write(contiguous[..frameLength]);
            }
            else
            {
                // The frame straddles pipe segments.
                foreach (ReadOnlyMemory<byte> segment in reader.UnreadSequence.Slice(0, frameLength))
                {
                    output.Write(segment.Span);
                }
            }

            reader.Advance(frameLength);
            frames++;
        }

        return reader.Position;
    }
}
