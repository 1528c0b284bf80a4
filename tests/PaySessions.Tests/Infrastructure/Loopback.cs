using System.Net;
using System.Net.Sockets;

namespace PaySessions.Tests.Infrastructure;

public static class Loopback
{
    /// <summary>A port nothing listens on right now (the OS picks it; it is released at once for the caller to bind).</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
