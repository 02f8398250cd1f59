using System.IO.Pipelines;

namespace Wireframe.Fragmentation;

/// <summary>
/// One request body being streamed to its handler: the pipe between the read loop (writer) and the
/// handler (reader), and its place in the fragment series. The read loop owns everything but the
/// handler task and the flag the handler sets when it returns.
/// </summary>
internal sealed class StreamedBody
{
    public StreamedBody(ulong key, long started, long window)
    {
        Key = key;
        Started = started;
        Pipe = new Pipe(new PipeOptions(pauseWriterThreshold: window, resumeWriterThreshold: window / 2, useSynchronizationContext: false));
        Body = new MessageBody(Pipe.Reader);
    }

    public ulong Key { get; }

    public long Started { get; }

    public Pipe Pipe { get; }

    public MessageBody Body { get; }

    public uint NextIndex { get; set; }

    public long Received { get; set; }

    /// <summary>Gets or sets a value indicating whether the last fragment arrived (the writer is completed).</summary>
    public bool Completed { get; set; }

    /// <summary>Gets or sets the handler reading the body.</summary>
    public Task? Handler { get; set; }

    /// <summary>Ends the body with an error the handler's next read throws.</summary>
    public void Fail(string reason)
    {
        if (!Completed)
        {
            Completed = true;
            Pipe.Writer.Complete(new MessageBodyException(reason));
        }
    }
}
