using Wireframe.Connections;

namespace Wireframe.Preamble;

/// <summary>Runs an application's preamble step on a new connection, before framing starts.</summary>
internal abstract class PreambleStage<TFrame>
{
    /// <summary>Reads the preamble; returns <see langword="null"/> on success or why the connection must close.</summary>
    public abstract ValueTask<DisconnectInfo?> RunAsync(WireframeConnection<TFrame> connection);
}
