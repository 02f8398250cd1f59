using System.Net.Sockets;

namespace Wireframe.Client;

// The client's end: closing, losing the connection, and failing what still waits.
public sealed partial class WireframeClient<TFrame>
{
    /// <summary>Closes the connection; calls still waiting fail with <see cref="WireframeConnectionLostException"/>.</summary>
    /// <returns>A task that completes when the connection is closed.</returns>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            await _disposal.Task.ConfigureAwait(false);
            return;
        }

        try
        {
            await CloseAsync().ConfigureAwait(false);
        }
        finally
        {
            _disposal.TrySetResult();
        }
    }

    private async Task CloseAsync()
    {
        bool wake;
        lock (_writeLock)
        {
            // Requests already accepted still go out (the writer sends what it holds, then stops).
            _closing = true;
            wake = StartWriter();
        }

        if (wake)
        {
            _wakeWriter.Wake();
        }

        try
        {
            await _writing.WaitAsync(_options.CloseTimeout, _time).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // The server stopped reading: the loss shuts the socket, which ends the stuck write.
            Lose(new WireframeConnectionLostException(
                $"The server did not take the requests accepted before DisposeAsync within {nameof(WireframeClientOptions)}.{nameof(WireframeClientOptions.CloseTimeout)} ({_options.CloseTimeout})."));
            await _writing.ConfigureAwait(false);
        }

        Lose(new WireframeConnectionLostException("The client was disposed."));
        lock (_writeLock)
        {
            // Nobody encodes any more (the client is closing) and the writer has stopped.
            _filling.Dispose();
            _sending.Dispose();
        }

        try
        {
            await _output.CompleteAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is ObjectDisposedException or IOException)
        {
            // The reader's end already closed the stream they share.
        }

        ShutdownSocket();
        _socket.Dispose();
        await _receiving.ConfigureAwait(false);
        await _stream.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>Marks the connection lost (the first reason wins) and fails every call still waiting.</summary>
    private void Lose(Exception reason)
    {
        bool first = Interlocked.CompareExchange(ref _lost, reason, null) is null;
        Exception lost = Volatile.Read(ref _lost)!;
        if (first)
        {
            ClientLog.Disconnected(_logger, _endPoint, InFlight, lost.Message);
        }

        PendingCall<TFrame>[] calls;
        lock (_tableLock)
        {
            calls = [.. _calls.Values];
            _calls.Clear();
            _callCount = 0;
        }

        foreach (PendingCall<TFrame> call in calls)
        {
            call.FailUnregistered(lost);
        }

        foreach (PendingCall<TFrame> call in DrainLine())
        {
            call.FailUnregistered(lost);
        }

        bool wake;
        lock (_writeLock)
        {
            // The writer stops (what it holds is not sent) and whoever waits for it goes on.
            wake = StartWriter();
        }

        if (wake)
        {
            _wakeWriter.Wake();
        }

        if (first)
        {
            _timeoutTicker?.Dispose();

            // A loss seen by the writer must end the reader too (and with it Completion).
            ShutdownSocket();
        }

        if (first && _onDisconnected is { } disconnected)
        {
            try
            {
                disconnected(this, lost);
            }
            catch (Exception)
            {
                // The application's teardown hook must not take the client's own teardown down with it.
            }
        }

        // Last, and only by the first loss, so that a push subscriber that sees the end also finds
        // the teardown hook has run.
        if (first)
        {
            _pushes.Writer.TryComplete();
        }
    }

    private void ShutdownSocket()
    {
        try
        {
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            // Already gone.
        }
    }

    private void ThrowIfClosed()
    {
        if (Volatile.Read(ref _lost) is { } lost)
        {
            throw new WireframeConnectionLostException(lost.Message, lost);
        }

        if (_closing)
        {
            throw new WireframeConnectionLostException("The client was disposed.");
        }
    }
}
