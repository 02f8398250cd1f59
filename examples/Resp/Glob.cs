namespace Wireframe.Examples.Resp;

/// <summary>The subset of Redis glob patterns CONFIG GET needs: '*' and '?', ASCII case-insensitive.</summary>
internal static class Glob
{
    public static bool IsMatch(ReadOnlySpan<byte> pattern, ReadOnlySpan<byte> text)
    {
        // Iterative matcher with one backtrack point: O(pattern * text), no recursion.
        int p = 0;
        int t = 0;
        int star = -1;
        int resume = 0;
        while (t < text.Length)
        {
            if (p < pattern.Length && (pattern[p] == (byte)'?' || Lower(pattern[p]) == Lower(text[t])))
            {
                p++;
                t++;
            }
            else if (p < pattern.Length && pattern[p] == (byte)'*')
            {
                star = p++;
                resume = t;
            }
            else if (star >= 0)
            {
                p = star + 1;
                t = ++resume;
            }
            else
            {
                return false;
            }
        }

        while (p < pattern.Length && pattern[p] == (byte)'*')
        {
            p++;
        }

        return p == pattern.Length;
    }

    private static byte Lower(byte b) => b is >= (byte)'A' and <= (byte)'Z' ? (byte)(b | 0x20) : b;
}
