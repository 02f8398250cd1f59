namespace Wireframe.Examples.Resp;

/// <summary>The outcome of <see cref="RespStore.TryIncrement"/>.</summary>
public enum IncrementResult
{
    Done,
    NotAnInteger,
    Overflow,
}
