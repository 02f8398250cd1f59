using System.Text;
using System.Threading.Channels;

namespace Wireframe.Tests.Support;

/// <summary>A <see cref="TextWriter"/> that records what a client prints, line by line, for a test to wait on.</summary>
public sealed class RecordingOutput : TextWriter
{
    private static readonly TimeSpan Safety = TimeSpan.FromSeconds(30);
    private readonly Lock _lock = new();
    private readonly StringBuilder _partial = new();
    private readonly List<string> _all = [];
    private readonly Channel<string> _unread = Channel.CreateUnbounded<string>();

    public override Encoding Encoding => Encoding.UTF8;

    /// <summary>Gets every complete line written so far.</summary>
    public IReadOnlyList<string> Lines
    {
        get
        {
            lock (_lock)
            {
                return [.. _all];
            }
        }
    }

    /// <summary>Waits (boundedly) for the next line not yet read by this method.</summary>
    public async Task<string> NextLineAsync() =>
        await _unread.Reader.ReadAsync().AsTask().WaitAsync(Safety);

    /// <summary>Waits for the next <paramref name="count"/> lines.</summary>
    public async Task<string[]> NextLinesAsync(int count)
    {
        var lines = new string[count];
        for (int i = 0; i < count; i++)
        {
            lines[i] = await NextLineAsync();
        }

        return lines;
    }

    /// <summary>Gets the lines written but not yet read by <see cref="NextLineAsync"/>.</summary>
    public IReadOnlyList<string> Unread()
    {
        var lines = new List<string>();
        while (_unread.Reader.TryRead(out string? line))
        {
            lines.Add(line);
        }

        return lines;
    }

    public override void Write(char value)
    {
        lock (_lock)
        {
            if (value == '\n')
            {
                string line = _partial.ToString().TrimEnd('\r');
                _partial.Clear();
                _all.Add(line);
                _unread.Writer.TryWrite(line);
            }
            else
            {
                _partial.Append(value);
            }
        }
    }

    public override void Write(string? value)
    {
        // One lock for the whole string (Lock is reentrant), so a line written at once stays whole.
        lock (_lock)
        {
            foreach (char c in value ?? "")
            {
                Write(c);
            }
        }
    }
}
