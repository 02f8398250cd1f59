using System.IO.Pipelines;

namespace Wireframe.Tests.Support;

/// <summary>A reader and a writer paired as a transport, for tests that replace one side of a connection's pipes.</summary>
internal sealed class DuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
{
    public PipeReader Input { get; } = input;

    public PipeWriter Output { get; } = output;
}
