using System.Buffers;
using System.IO.Pipelines;

namespace Wireframe.Benchmarks;

/// <summary>
/// The in-harness baseline: the smallest correct echo server a Kestrel <c>ConnectionHandler</c>
/// would contain. It reads, finds length-prefixed frames, copies each to the output, and flushes
/// once per read, on the same pipes and schedulers as the framework, so the difference between
/// the two is the framework's decode, dispatch and encode.
/// </summary>
internal static class HandWrittenEcho
{
    public static async Task RunAsync(IDuplexPipe transport)
    {
        PipeReader input = transport.Input;
        PipeWriter output = transport.Output;
        try
        {
            while (true)
            {
                ReadResult result = await input.ReadAsync().ConfigureAwait(false);
                ReadOnlySequence<byte> buffer = result.Buffer;
                int copied = CopyFrames(ref buffer, output);
                input.AdvanceTo(buffer.Start, buffer.End);
                if (copied > 0)
                {
                    FlushResult flushed = await output.FlushAsync().ConfigureAwait(false);
                    if (flushed.IsCompleted)
                    {
                        return;
                    }
                }

                if (result.IsCompleted)
                {
                    return;
                }
            }
        }
        finally
        {
            await input.CompleteAsync().ConfigureAwait(false);
            await output.CompleteAsync().ConfigureAwait(false);
        }
    }

    private static int CopyFrames(ref ReadOnlySequence<byte> buffer, PipeWriter output)
    {
        var reader = new SequenceReader<byte>(buffer);
        int frames = 0;
        while (true)
        {
            SequencePosition start = reader.Position;
            if (!reader.TryReadBigEndian(out int length) || reader.Remaining < length)
            {
                buffer = buffer.Slice(start);
                return frames;
            }

            reader.Advance(length);
            ReadOnlySequence<byte> frame = buffer.Slice(start, reader.Position);
            int size = (int)frame.Length;
            frame.CopyTo(output.GetSpan(size));
            output.Advance(size);
            frames++;
        }
    }
}
