using System.Buffers;
using System.Text;
using Wireframe.Preamble;

namespace Wireframe.Tests.Connections;

/// <summary>A text hello, "HELLO &lt;name&gt;\n", that yields the name; anything not starting with "HELLO " is invalid.</summary>
internal sealed class LinePreambleReader : IPreambleReader<string>
{
    private static readonly byte[] Magic = "HELLO "u8.ToArray();

    public PreambleStatus TryRead(ref ReadOnlySequence<byte> input, out string preamble, out string? reason)
    {
        preamble = "";
        reason = null;
        int check = (int)Math.Min(input.Length, Magic.Length);
        if (!input.Slice(0, check).ToArray().AsSpan().SequenceEqual(Magic.AsSpan(0, check)))
        {
            reason = "The preamble must start with HELLO.";
            return PreambleStatus.Invalid;
        }

        if (input.PositionOf((byte)'\n') is not SequencePosition end)
        {
            return PreambleStatus.NeedMoreData;
        }

        preamble = Encoding.ASCII.GetString(input.Slice(Magic.Length, input.Slice(0, end).Length - Magic.Length));
        input = input.Slice(input.GetPosition(1, end));
        return PreambleStatus.Complete;
    }
}
