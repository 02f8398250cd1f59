using System.IO.Pipelines;
using System.Net;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http.Features;

namespace Wireframe.Testing;

/// <summary>
/// A transport connection made of two in-memory pipes: the server side is handed to the
/// application exactly as Kestrel would hand it a socket; the test drives the other side.
/// </summary>
public sealed class InMemoryConnectionContext : ConnectionContext
{
    private static long s_next;
    private readonly CancellationTokenSource _closed = new();

    /// <summary>Initializes a new instance of the <see cref="InMemoryConnectionContext"/> class.</summary>
    /// <param name="pipeOptions">Options for both pipes; <see langword="null"/> for defaults.</param>
    public InMemoryConnectionContext(PipeOptions? pipeOptions = null)
    {
        pipeOptions ??= new PipeOptions(useSynchronizationContext: false);
        var toServer = new Pipe(pipeOptions);
        var toClient = new Pipe(pipeOptions);
        Transport = new DuplexPipe(toServer.Reader, toClient.Writer);
        Application = new DuplexPipe(toClient.Reader, toServer.Writer);
        ConnectionId = "in-memory-" + Interlocked.Increment(ref s_next).ToString(System.Globalization.CultureInfo.InvariantCulture);
        RemoteEndPoint = new IPEndPoint(IPAddress.Loopback, 40000);
        LocalEndPoint = new IPEndPoint(IPAddress.Loopback, 7878);
        ConnectionClosed = _closed.Token;
    }

    /// <summary>Gets the peer's side: write what the client sends, read what the server sends.</summary>
    public IDuplexPipe Application { get; }

    /// <summary>Gets the exception passed to <see cref="Abort(ConnectionAbortedException)"/>, if the server aborted the connection.</summary>
    public ConnectionAbortedException? AbortReason { get; private set; }

    /// <inheritdoc />
    public override string ConnectionId { get; set; }

    /// <inheritdoc />
    public override IFeatureCollection Features { get; } = new FeatureCollection();

    /// <inheritdoc />
    public override IDictionary<object, object?> Items { get; set; } = new Dictionary<object, object?>();

    /// <inheritdoc />
    public override IDuplexPipe Transport { get; set; }

    /// <inheritdoc />
    public override void Abort(ConnectionAbortedException abortReason)
    {
        AbortReason ??= abortReason;

        // Like a socket reset: both directions end with the abort as the error.
        Application.Output.Complete(abortReason);
        Transport.Output.Complete(abortReason);
        SignalClientClosed();
    }

    /// <summary>
    /// Fires <see cref="BaseConnectionContext.ConnectionClosed"/> as Kestrel's socket transport does when
    /// the client's side ends (its receive loop reads end of stream). Call it after completing the
    /// client's output; <see cref="TestConnection{TFrame}.CompleteAsync"/> does.
    /// </summary>
    public void SignalClientClosed()
    {
        try
        {
            _closed.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // Already disposed: the connection is long gone.
        }
    }

    /// <inheritdoc />
    public override ValueTask DisposeAsync()
    {
        _closed.Dispose();
        return base.DisposeAsync();
    }

    private sealed class DuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;

        public PipeWriter Output { get; } = output;
    }
}
