namespace Wireframe.Preamble;

/// <summary>Describes a rejected preamble to the failure callback.</summary>
/// <param name="Kind">Why it was rejected.</param>
/// <param name="Message">A description that names the governing option, if any.</param>
public sealed record PreambleFailure(PreambleFailureKind Kind, string Message);
