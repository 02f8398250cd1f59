namespace Wireframe.Benchmarks;

/// <summary>Where the server side of an in-memory connection runs when bytes arrive.</summary>
public enum Scheduling
{
    /// <summary>
    /// On the thread that flushed the request (<see cref="System.IO.Pipelines.PipeScheduler.Inline"/>):
    /// one thread, no hand-offs, so the time is the CPU cost of the code path itself.
    /// </summary>
    Inline,

    /// <summary>
    /// On the thread pool, as Kestrel dispatches connection code, with the client blocked until the
    /// responses arrive: adds two cross-thread wake-ups per batch.
    /// </summary>
    ThreadPool,
}
