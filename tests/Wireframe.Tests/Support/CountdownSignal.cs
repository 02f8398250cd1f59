namespace Wireframe.Tests.Support;

/// <summary>A task that completes when <see cref="Signal"/> has been called a given number of times, from any threads.</summary>
public sealed class CountdownSignal(int count)
{
    private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _remaining = count;

    public Task Task => _done.Task;

    public void Signal()
    {
        if (Interlocked.Decrement(ref _remaining) == 0)
        {
            _done.TrySetResult();
        }
    }
}
