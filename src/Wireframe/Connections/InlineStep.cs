namespace Wireframe.Connections;

/// <summary>Where the read loop's synchronous dispatch of already-read frames stopped.</summary>
internal enum InlineStep
{
    /// <summary>Nothing more to do with this read: more data is needed, decoding failed, or the connection is stopping.</summary>
    Stop,

    /// <summary>A request did not complete synchronously; the loop awaits it and goes on.</summary>
    Pending,

    /// <summary>A frame above the message size limit: inbound assembly must refuse it.</summary>
    NeedsAssembly,

    /// <summary>The next frame is not a whole one in the input's first segment: the general decoder takes it.</summary>
    NeedsDecoder,
}
