namespace Wireframe.Tests.Support;

/// <summary>Deterministic test payloads: random bytes, so a shifted or truncated echo cannot match by accident.</summary>
public static class Payloads
{
    public static byte[] Random(int size, int seed)
    {
        byte[] payload = new byte[size];
        new Random(seed).NextBytes(payload);
        return payload;
    }
}
