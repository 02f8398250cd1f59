namespace Wireframe.Connections;

/// <summary>Stable, allocation-free names for <see cref="DisconnectReason"/> in logs and metric tags.</summary>
internal static class DisconnectReasonNames
{
    private static readonly string[] Names = Enum.GetValues<DisconnectReason>()
        .Select(reason => ToSnakeCase(reason.ToString()))
        .ToArray();

    public static string Get(DisconnectReason reason) =>
        (uint)reason < (uint)Names.Length ? Names[(int)reason] : reason.ToString();

    private static string ToSnakeCase(string name)
    {
        var builder = new System.Text.StringBuilder(name.Length + 4);
        for (int i = 0; i < name.Length; i++)
        {
            char c = name[i];
            if (char.IsUpper(c) && i > 0)
            {
                builder.Append('_');
            }

            builder.Append(char.ToLowerInvariant(c));
        }

        return builder.ToString();
    }
}
