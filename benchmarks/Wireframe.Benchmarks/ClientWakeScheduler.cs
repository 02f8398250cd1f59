using System.IO.Pipelines;

namespace Wireframe.Benchmarks;

/// <summary>
/// <see cref="PipeScheduler.ThreadPool"/> for the server, except that the blocked benchmark thread
/// is woken directly on the thread that completed its read or flush.
/// </summary>
/// <remarks>
/// The pipes share one scheduler (the test kit's context takes one <see cref="PipeOptions"/>).
/// Sending the client's wake-up through the pool would allocate a work item per batch
/// (only async state machines are queued without one) and blur the allocation numbers;
/// async continuations, such as the server's read loop, still go to the pool allocation-free.
/// </remarks>
internal sealed class ClientWakeScheduler(Action wakeClient) : PipeScheduler
{
    public override void Schedule(Action<object?> action, object? state)
    {
        if (ReferenceEquals(state, wakeClient))
        {
            action(state);
            return;
        }

        System.Threading.ThreadPool.UnsafeQueueUserWorkItem(action, state, preferLocal: false);
    }
}
