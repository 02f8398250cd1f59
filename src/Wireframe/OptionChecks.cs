namespace Wireframe;

/// <summary>The one way every options class refuses a value out of range: an <see cref="ArgumentOutOfRangeException"/> that names the class and the option.</summary>
internal static class OptionChecks
{
    public static void Require(bool condition, string options, string name, object? value, string rule = "is out of range")
    {
        if (!condition)
        {
            throw new ArgumentOutOfRangeException(name, value, $"{options}.{name} {rule}.");
        }
    }
}
