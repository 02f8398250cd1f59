namespace Wireframe.Diagnostics;

/// <summary>The values of the <c>error.type</c> tag on <c>wireframe.server.errors</c>.</summary>
public static class ErrorTypes
{
    /// <summary>A frame declared a length above the maximum.</summary>
    public const string FrameOversized = "frame_oversized";

    /// <summary>A frame broke the protocol's rules.</summary>
    public const string FrameMalformed = "frame_malformed";

    /// <summary>A handler or middleware threw an unexpected exception.</summary>
    public const string HandlerException = "handler_exception";

    /// <summary>A request failed with a protocol error (bad payload, <see cref="WireframeProtocolException"/>).</summary>
    public const string ProtocolError = "protocol_error";

    /// <summary>A frame carried a message id with no route.</summary>
    public const string UnknownMessage = "unknown_message";

    /// <summary>A lifecycle hook threw.</summary>
    public const string HookException = "hook_exception";

    /// <summary>The preamble did not arrive in time.</summary>
    public const string PreambleTimeout = "preamble_timeout";

    /// <summary>The preamble was invalid or too large.</summary>
    public const string PreambleInvalid = "preamble_invalid";

    /// <summary>A connection was aborted because it did not finish within the shutdown drain deadline.</summary>
    public const string DrainTimeout = "drain_timeout";

    /// <summary>A peer stopped reading for longer than <see cref="WireframeOptions.SlowConsumerTimeout"/>.</summary>
    public const string SlowConsumer = "slow_consumer";

    /// <summary>A fragment was refused by reassembly (tag <c>wireframe.reassembly_error</c> on <c>wireframe.server.reassembly.errors</c> says why).</summary>
    public const string ReassemblyError = "reassembly_error";

    /// <summary>A connection was closed because its partial messages hit a memory limit.</summary>
    public const string MemoryBudgetExceeded = "memory_budget_exceeded";
}
