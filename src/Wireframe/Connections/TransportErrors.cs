using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;

namespace Wireframe.Connections;

/// <summary>
/// Recognises the exceptions that mean "the peer or the transport went away": normal ends of a
/// connection, logged at debug level, not errors.
/// </summary>
internal static class TransportErrors
{
    public static bool IsTransportError(Exception exception) => exception switch
    {
        ConnectionResetException => true,
        ConnectionAbortedException => true,
        SocketException => true,
        IOException => true,
        ObjectDisposedException => true,
        _ => false,
    };
}
