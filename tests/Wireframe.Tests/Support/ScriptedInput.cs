using System.Threading.Channels;

namespace Wireframe.Tests.Support;

/// <summary>
/// A <see cref="TextReader"/> a test types into line by line, for driving a terminal client: a read
/// waits for the next line (or the end) and honours its cancellation token, as a console does not.
/// </summary>
public sealed class ScriptedInput : TextReader
{
    private readonly Channel<string> _lines = Channel.CreateUnbounded<string>();

    /// <summary>Types a line.</summary>
    public void Type(string line)
    {
        if (!_lines.Writer.TryWrite(line))
        {
            throw new InvalidOperationException("The input has already ended.");
        }
    }

    /// <summary>Ends the input (the reader then reads null).</summary>
    public void End() => _lines.Writer.TryComplete();

    public override async ValueTask<string?> ReadLineAsync(CancellationToken cancellationToken) =>
        await _lines.Reader.WaitToReadAsync(cancellationToken) && _lines.Reader.TryRead(out string? line) ? line : null;

    public override Task<string?> ReadLineAsync() => ReadLineAsync(CancellationToken.None).AsTask();

    public override string? ReadLine() => throw new NotSupportedException("A terminal client reads its input asynchronously.");
}
