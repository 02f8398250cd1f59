namespace Wireframe.Benchmarks;

/// <summary>What serves the in-memory connection in a dispatch benchmark.</summary>
public enum Scenario
{
    /// <summary>The hand-written Kestrel-style echo loop: the harness's own cost.</summary>
    HandWrittenEcho,

    /// <summary><c>EchoApp.CreateRouted()</c>: envelopes with correlation ids, routed by message id.</summary>
    RoutedEcho,

    /// <summary>
    /// The routed echo with <c>MaxConcurrentRequestsPerConnection = 16</c>: each request gets its own
    /// context and a copy of its frame, so this mode allocates per frame by design.
    /// </summary>
    RoutedEchoConcurrent,

    /// <summary>
    /// The routed echo with the fragment adapter on (<c>UseFragmentation(64 KiB)</c>) and traffic
    /// that never needs splitting: each request and response carries the default strategy's
    /// 1-byte header. Against <see cref="RoutedEcho"/>, the adapter's cost when it does nothing.
    /// </summary>
    RoutedEchoFragmented,

    /// <summary><c>EchoApp.CreateRaw()</c>: bare length-prefixed frames, echoed by a frame handler.</summary>
    RawEcho,

    /// <summary><c>EchoApp.CreateRawRouted()</c>: the same frames through one route instead.</summary>
    RawEchoRouted,

    /// <summary><see cref="PingPongApp"/>: typed request and response through the binary-message serializer.</summary>
    TypedPingPong,
}
