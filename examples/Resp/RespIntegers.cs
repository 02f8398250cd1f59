using System.Globalization;

namespace Wireframe.Examples.Resp;

/// <summary>Integers stored as decimal text, with Redis's strict rules (<c>string2ll</c>).</summary>
internal static class RespIntegers
{
    /// <summary>
    /// Parses a value as Redis does for INCR: optional '-', no '+', no spaces, no leading zeros
    /// (except "0" itself), at most 20 bytes, within the 64-bit range.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> text, out long value)
    {
        value = 0;
        if (text.IsEmpty || text.Length > 20)
        {
            return false;
        }

        if (text.Length == 1 && text[0] == (byte)'0')
        {
            return true;
        }

        bool negative = text[0] == (byte)'-';
        ReadOnlySpan<byte> digits = negative ? text[1..] : text;
        if (digits.IsEmpty || digits[0] is < (byte)'1' or > (byte)'9')
        {
            return false;
        }

        ulong magnitude = 0;
        foreach (byte b in digits)
        {
            uint digit = (uint)(b - '0');
            if (digit > 9 || magnitude > (ulong.MaxValue - digit) / 10)
            {
                return false;
            }

            magnitude = (magnitude * 10) + digit;
        }

        if (magnitude > (negative ? (ulong)long.MaxValue + 1 : long.MaxValue))
        {
            return false;
        }

        value = negative ? (long)(0 - magnitude) : (long)magnitude;
        return true;
    }

    public static byte[] Format(long value) => System.Text.Encoding.ASCII.GetBytes(value.ToString(CultureInfo.InvariantCulture));
}
