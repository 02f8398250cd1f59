using System.Buffers;
using Wireframe.Connections;

namespace Wireframe.Routing;

/// <summary>
/// What a handler knows about the request it is handling, beyond the typed message.
/// </summary>
/// <remarks>
/// With the default of one request at a time per connection, the framework reuses one context per
/// connection: it is valid only until the handler's task completes, so do not keep it.
/// </remarks>
public abstract class RequestContext
{
    /// <summary>Gets the connection the request arrived on.</summary>
    public abstract WireframeConnection Connection { get; }

    /// <summary>Gets the request's message id.</summary>
    public uint MessageId { get; private protected set; }

    /// <summary>Gets the request's correlation id, if it carries one. Responses carry it back.</summary>
    public ulong? CorrelationId { get; private protected set; }

    /// <summary>Gets the request's payload, valid until the handler completes.</summary>
    public abstract ReadOnlySequence<byte> Payload { get; }

    /// <summary>Gets a token that fires when the connection closes or the server starts shutting down.</summary>
    public CancellationToken RequestAborted => Connection.ConnectionClosing;

    /// <summary>Gets the application's services.</summary>
    public IServiceProvider Services => Connection.Services;
}
