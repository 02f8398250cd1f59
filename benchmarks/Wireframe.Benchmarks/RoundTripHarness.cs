using System.Buffers;
using System.IO.Pipelines;
using Microsoft.AspNetCore.Connections;
using Wireframe.Testing;

namespace Wireframe.Benchmarks;

/// <summary>
/// The client's end of an in-memory connection (the test kit's <see cref="InMemoryConnectionContext"/>)
/// whose server side runs whatever <c>serve</c> starts. Each round trip writes one batch of
/// length-prefixed request frames, flushes, and reads and consumes as many response frames.
/// </summary>
/// <remarks>
/// The client never allocates: it writes a prebuilt batch, parses only the 4-byte prefixes of
/// the responses, and waits for the server by blocking on an event that the pipe completes
/// through a cached delegate, so whatever a benchmark allocates is the server's.
/// </remarks>
internal sealed class RoundTripHarness : IAsyncDisposable
{
    private readonly InMemoryConnectionContext _context;
    private readonly byte[] _request;
    private readonly int _frames;
    private readonly ManualResetEventSlim _wake = new(false);
    private readonly Action _wakeClient;
    private readonly Task _server;

    public RoundTripHarness(Scheduling scheduling, Func<ConnectionContext, Task> serve, byte[] request, int frames)
    {
        _request = request;
        _frames = frames;
        _wakeClient = _wake.Set;
        PipeScheduler scheduler = scheduling == Scheduling.Inline ? PipeScheduler.Inline : new ClientWakeScheduler(_wakeClient);
        _context = new InMemoryConnectionContext(new PipeOptions(readerScheduler: scheduler, writerScheduler: scheduler, useSynchronizationContext: false));
        _server = serve(_context);
    }

    /// <summary>Gets the server's task; it completes when the server side of the connection ends.</summary>
    public Task Server => _server;

    /// <summary>Sends one batch and consumes all its responses.</summary>
    /// <param name="capture">Receives the response bytes, for checking them once; <see langword="null"/> when benchmarking.</param>
    public void RoundTrip(IBufferWriter<byte>? capture = null)
    {
        PipeWriter output = _context.Application.Output;
        output.Write(_request);
        ValueTask<FlushResult> flush = output.FlushAsync();
        FlushResult flushed = flush.IsCompleted ? flush.Result : Wait(flush);
        if (flushed.IsCompleted)
        {
            throw new InvalidOperationException("The server stopped reading.");
        }

        PipeReader input = _context.Application.Input;
        int remaining = _frames;
        while (true)
        {
            ValueTask<ReadResult> read = input.ReadAsync();
            ReadResult result = read.IsCompleted ? read.Result : Wait(read);
            ReadOnlySequence<byte> buffer = result.Buffer;
            SequencePosition consumed = ConsumeFrames(buffer, ref remaining);
            if (capture is not null)
            {
                foreach (ReadOnlyMemory<byte> segment in buffer.Slice(0, consumed))
                {
                    capture.Write(segment.Span);
                }
            }

            input.AdvanceTo(consumed, buffer.End);
            if (remaining == 0)
            {
                return;
            }

            if (result.IsCompleted)
            {
                throw new InvalidOperationException($"The server closed with {remaining} responses outstanding.");
            }
        }
    }

    /// <summary>Runs one round trip and returns the response bytes.</summary>
    public byte[] Capture()
    {
        var capture = new ArrayBufferWriter<byte>();
        RoundTrip(capture);
        return capture.WrittenSpan.ToArray();
    }

    /// <summary>Closes the client's side (a clean EOF) and waits for the server to finish.</summary>
    public async ValueTask DisposeAsync()
    {
        await _context.Application.Output.CompleteAsync().ConfigureAwait(false);
        await _server.WaitAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(false);
        await _context.Application.Input.CompleteAsync().ConfigureAwait(false);
        await _context.DisposeAsync().ConfigureAwait(false);
        _wake.Dispose();
    }

    private static SequencePosition ConsumeFrames(ReadOnlySequence<byte> buffer, ref int remaining)
    {
        var reader = new SequenceReader<byte>(buffer);
        while (remaining > 0 && reader.TryReadBigEndian(out int length))
        {
            if (reader.Remaining < length)
            {
                reader.Rewind(sizeof(int));
                break;
            }

            reader.Advance(length);
            remaining--;
        }

        return reader.Position;
    }

    private T Wait<T>(ValueTask<T> pending)
    {
        // The pipe's value task takes the cached delegate as its continuation without allocating;
        // the scheduler runs it on the completing thread.
        _wake.Reset();
        var awaiter = pending.ConfigureAwait(false).GetAwaiter();
        awaiter.UnsafeOnCompleted(_wakeClient);
        _wake.Wait();
        return awaiter.GetResult();
    }
}
