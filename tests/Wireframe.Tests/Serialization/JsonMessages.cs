using System.Text.Json.Serialization;

namespace Wireframe.Tests.Serialization;

public sealed record Greeting(string Name, int Times);

public sealed record GreetingReply(string Text);

/// <summary>Known to the reflection serializer only, not to <see cref="TestJsonContext"/>.</summary>
public sealed record NotInContext(string Value);

[JsonSerializable(typeof(Greeting))]
[JsonSerializable(typeof(GreetingReply))]
internal sealed partial class TestJsonContext : JsonSerializerContext;
