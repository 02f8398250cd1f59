using System.IO.Pipelines;
using System.Runtime.CompilerServices;

namespace Wireframe.Fragmentation;

/// <summary>
/// A request message delivered as a stream while its fragments arrive, for handlers that take a
/// <see cref="MessageBody"/> instead of a buffered message: nothing is reassembled, the handler
/// reads the payload as it comes, and a handler that reads slowly slows the socket down
/// (backpressure), not the server's memory. If the message breaks off (a series error, the
/// reassembly timeout, the connection closing), reading throws <see cref="MessageBodyException"/>.
/// </summary>
/// <remarks>
/// The body is the handler's until it returns; whatever it has not read then is discarded as it
/// arrives. Read it once, through one of <see cref="Reader"/>, <see cref="AsStream"/> or
/// <see cref="ReadChunksAsync"/>.
/// </remarks>
public sealed class MessageBody
{
    internal MessageBody(PipeReader reader)
    {
        Reader = reader;
    }

    /// <summary>Gets the body as a pipe: the payload's bytes, fragment headers removed, in order.</summary>
    public PipeReader Reader { get; }

    /// <summary>Gets the body as a read-only <see cref="Stream"/>.</summary>
    /// <returns>The stream.</returns>
    public Stream AsStream() => Reader.AsStream(leaveOpen: true);

    /// <summary>
    /// Reads the body as blocks of bytes in arrival order. Each block is valid until the next one
    /// is requested.
    /// </summary>
    /// <param name="cancellationToken">Stops the reading.</param>
    /// <returns>The blocks.</returns>
    public async IAsyncEnumerable<ReadOnlyMemory<byte>> ReadChunksAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        while (true)
        {
            ReadResult result = await Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            foreach (ReadOnlyMemory<byte> block in result.Buffer)
            {
                if (!block.IsEmpty)
                {
                    yield return block;
                }
            }

            Reader.AdvanceTo(result.Buffer.End);
            if (result.IsCompleted)
            {
                yield break;
            }
        }
    }
}
