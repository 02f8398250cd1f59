using System.Buffers;

namespace Wireframe.Client;

/// <summary>A call waiting for its response. The receive loop completes it; a timeout, a cancellation or a lost connection fails it. Only the first outcome counts.</summary>
internal abstract class PendingCall<TFrame>
{
    /// <summary>Gets or sets the correlation id the call was sent with (0 in FIFO mode).</summary>
    public ulong CorrelationId { get; set; }

    /// <summary>Gets or sets the request's message id, for error messages.</summary>
    public uint MessageId { get; set; }

    /// <summary>Gets or sets when the call times out, as a timestamp of the client's clock; 0 for never.</summary>
    public long Deadline { get; set; }

    /// <summary>Gets a value indicating whether the call already has its outcome (a late response is then discarded).</summary>
    public abstract bool IsDone { get; }

    /// <summary>Gets a value indicating whether the response is a stream (several frames up to a terminator).</summary>
    public virtual bool IsStream => false;

    /// <summary>Hands over a response frame while the receive buffer is valid: the call reads what it needs from it now.</summary>
    /// <param name="frame">The response frame.</param>
    /// <param name="raw">The frame's bytes, for a copy that outlives the buffer.</param>
    /// <returns><see langword="true"/> when the call has all it waits for (a call: its response; a stream: its terminator).</returns>
    public abstract bool Receive(in TFrame frame, ReadOnlySequence<byte> raw);

    /// <summary>Ends the call with an error.</summary>
    public abstract void Fail(Exception exception);

    /// <summary>
    /// Tells the call that the client's table of calls in flight (or FIFO line) no longer holds it:
    /// the one who took it out calls this once, after it is done with the call.
    /// </summary>
    public virtual void Unregistered()
    {
    }

    /// <summary>Fails a call just taken out of the table or the line, and lets go of the hold the table had on it.</summary>
    /// <param name="reason">What the caller sees.</param>
    public void FailUnregistered(Exception reason)
    {
        Fail(reason);
        Unregistered();
    }

    /// <summary>Takes an extra hold on a call that is still held by somebody, so that it is not reused until <see cref="ReleaseHold"/>.</summary>
    /// <returns>Whether the hold was taken (false once the call went back to its pool).</returns>
    public virtual bool TryHold() => true;

    /// <summary>Lets go of a hold taken with <see cref="TryHold"/>.</summary>
    public virtual void ReleaseHold()
    {
    }
}
