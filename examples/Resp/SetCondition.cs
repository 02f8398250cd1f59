namespace Wireframe.Examples.Resp;

/// <summary>When <c>SET</c> writes: always, only a new key (<c>NX</c>), or only an existing key (<c>XX</c>).</summary>
public enum SetCondition
{
    Always,
    IfAbsent,
    IfExists,
}
