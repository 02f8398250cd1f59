using System.Globalization;

namespace Wireframe.LoadGen;

/// <summary>Command line of the load generator, parsed by hand to stay dependency-free.</summary>
internal sealed class LoadOptions
{
    public const int MaxFrameBytes = 16 * 1024 * 1024;

    public string Host { get; private set; } = "127.0.0.1";
    public int Port { get; private set; } = 7878;
    public int Connections { get; private set; } = 64;
    public int InFlight { get; private set; } = 16;
    public int Size { get; private set; } = 128;
    public double DurationSeconds { get; private set; } = 10;
    public double WarmupSeconds { get; private set; } = 2;
    public WireMode Mode { get; private set; } = WireMode.Raw;
    public bool Json { get; private set; }
    public int IdleConnections { get; private set; }
    public double HoldSeconds { get; private set; } = 30;
    public bool Help { get; private set; }

    public const string Usage = """
        Wireframe.LoadGen - closed-loop load generator for length-prefixed echo servers

        Load mode (default):
          --host H            server address (default 127.0.0.1)
          --port P            server port (default 7878)
          --connections N     concurrent connections (default 64)
          --inflight D        frames outstanding per connection (default 16)
          --size S            payload bytes per frame (default 128)
          --duration SEC      measured phase length (default 10)
          --warmup SEC        unmeasured warmup before it (default 2)
          --mode raw|envelope|envelope-fragment wire format (default raw)
          --json              also print one JSON line with the results

        Idle mode (server memory per idle connection):
          --idle N            open N connections, send nothing, print "IDLE_READY N"
          --hold SEC          keep them open at most this long (default 30);
                              closing stdin releases them earlier

        Exit code: 0 ok, 1 connection failure or malformed response, 2 bad arguments.
        """;

    /// <exception cref="ArgumentException">On unknown flags or invalid values.</exception>
    public static LoadOptions Parse(string[] args)
    {
        var options = new LoadOptions();
        for (int i = 0; i < args.Length; i++)
        {
            string flag = args[i];
            switch (flag)
            {
                case "-h":
                case "--help":
                    options.Help = true;
                    break;
                case "--json":
                    options.Json = true;
                    break;
                case "--host":
                    options.Host = Value(args, ref i);
                    break;
                case "--port":
                    options.Port = Int(args, ref i, 1, 65535);
                    break;
                case "--connections":
                    options.Connections = Int(args, ref i, 1, 1_000_000);
                    break;
                case "--inflight":
                    options.InFlight = Int(args, ref i, 1, 1_000_000);
                    break;
                case "--size":
                    options.Size = Int(args, ref i, 0, MaxFrameBytes - 5);
                    break;
                case "--duration":
                    options.DurationSeconds = Seconds(args, ref i, allowZero: false);
                    break;
                case "--warmup":
                    options.WarmupSeconds = Seconds(args, ref i, allowZero: true);
                    break;
                case "--hold":
                    options.HoldSeconds = Seconds(args, ref i, allowZero: true);
                    break;
                case "--idle":
                    options.IdleConnections = Int(args, ref i, 1, 1_000_000);
                    break;
                case "--mode":
                    options.Mode = Value(args, ref i) switch
                    {
                        "raw" => WireMode.Raw,
                        "envelope" => WireMode.Envelope,
                        "envelope-fragment" => WireMode.FragmentedEnvelope,
                        var other => throw new ArgumentException($"--mode must be raw, envelope or envelope-fragment, not '{other}'"),
                    };
                    break;
                default:
                    throw new ArgumentException($"unknown argument '{flag}'");
            }
        }

        // The receive buffer holds every outstanding response, so bound what one connection may pin.
        long bytesInFlight = (long)options.InFlight * (options.Size + 9);
        if (bytesInFlight > int.MaxValue / 2)
        {
            throw new ArgumentException("--inflight x --size is too large for one connection's buffers");
        }

        return options;
    }

    private static string Value(string[] args, ref int i)
    {
        if (i + 1 >= args.Length)
        {
            throw new ArgumentException($"{args[i]} needs a value");
        }

        return args[++i];
    }

    private static int Int(string[] args, ref int i, int min, int max)
    {
        string flag = args[i];
        string text = Value(args, ref i);
        if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int value) || value < min || value > max)
        {
            throw new ArgumentException($"{flag} must be an integer in [{min}, {max}], not '{text}'");
        }

        return value;
    }

    private static double Seconds(string[] args, ref int i, bool allowZero)
    {
        string flag = args[i];
        string text = Value(args, ref i);
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value)
            || double.IsNaN(value) || value < 0 || (value == 0 && !allowZero) || value > 86_400)
        {
            throw new ArgumentException($"{flag} must be a number of seconds{(allowZero ? "" : " above 0")}, not '{text}'");
        }

        return value;
    }
}
