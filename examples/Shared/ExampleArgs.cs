using System.Globalization;

namespace Wireframe.Examples;

/// <summary>The command line every example shares: <c>--port N</c>, <c>--host A</c> and flags.</summary>
internal sealed class ExampleArgs
{
    public const int DefaultPort = 7878;

    /// <summary>Options that take a value, besides <c>--port</c> and <c>--host</c>.</summary>
    private static readonly HashSet<string> ValueOptions = new(StringComparer.Ordinal) { "--client", "--count", "--heartbeat", "--put", "--get", "--file", "--fragment" };

    private readonly Dictionary<string, string> _values;

    private ExampleArgs(string host, int port, HashSet<string> flags, Dictionary<string, string> values)
    {
        Host = host;
        Port = port;
        Flags = flags;
        _values = values;
    }

    public string Host { get; }

    public int Port { get; }

    public IReadOnlySet<string> Flags { get; }

    /// <summary>Gets whether an option was given, as a flag or with a value (PingPong's <c>--client</c> takes none, Chat's takes a name).</summary>
    public bool Has(string flag) => Flags.Contains(flag) || _values.ContainsKey(flag);

    /// <summary>Gets the value of an option that takes one (see <see cref="ValueOptions"/>).</summary>
    public string? Value(string option) => _values.GetValueOrDefault(option);

    public static ExampleArgs Parse(string[] args)
    {
        string host = "127.0.0.1";
        int port = DefaultPort;
        var flags = new HashSet<string>(StringComparer.Ordinal);
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--port" when i + 1 < args.Length:
                    port = int.Parse(args[++i], CultureInfo.InvariantCulture);
                    break;
                case "--host" when i + 1 < args.Length:
                    host = args[++i];
                    break;
                // An option followed by another option has no value of its own: "--client --count 5".
                case var option when ValueOptions.Contains(option) && i + 1 < args.Length && !args[i + 1].StartsWith("--", StringComparison.Ordinal):
                    values[option] = args[++i];
                    break;
                default:
                    flags.Add(args[i]);
                    break;
            }
        }

        return new ExampleArgs(host, port, flags, values);
    }
}
