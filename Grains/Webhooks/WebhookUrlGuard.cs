using System.Net;
using System.Net.Sockets;

namespace PaySessions.Grains.Webhooks;

/// <summary>
/// The SSRF guard for merchant webhook URLs: checked when a URL is configured, and again on every
/// connection, against the addresses the name resolves to then (a name can be re-pointed later).
/// </summary>
public static class WebhookUrlGuard
{
    /// <summary>Why the URL is refused, or null when it may be used.</summary>
    public static string? Check(string url, bool allowPrivateNetworks)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("https" or "http") || url.Length > 2048)
        {
            return "The webhook URL must be an absolute http(s) URL.";
        }

        if (uri.UserInfo.Length > 0)
        {
            return "The webhook URL must not contain credentials.";
        }

        if (allowPrivateNetworks)
        {
            return null;
        }

        if (uri.Scheme != "https")
        {
            return "The webhook URL must use https.";
        }

        if (uri.IsLoopback || uri.Host.Equals("localhost", StringComparison.OrdinalIgnoreCase)
            || (IPAddress.TryParse(uri.Host.Trim('[', ']'), out var literal) && !IsPublic(literal)))
        {
            return "The webhook URL must not point at a loopback or private address.";
        }

        return null;
    }

    /// <summary>False for loopback, private, link-local, unique-local, multicast and unspecified addresses.</summary>
    public static bool IsPublic(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (IPAddress.IsLoopback(address) || address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any) || address.Equals(IPAddress.Broadcast))
        {
            return false;
        }

        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            var b = address.GetAddressBytes();
            return !(b[0] == 10
                || b[0] == 0
                || (b[0] == 100 && b[1] >= 64 && b[1] <= 127)   // carrier-grade NAT
                || (b[0] == 169 && b[1] == 254)                 // link-local, cloud metadata
                || (b[0] == 172 && b[1] >= 16 && b[1] <= 31)
                || (b[0] == 192 && b[1] == 168)
                || (b[0] == 192 && b[1] == 0 && b[2] == 0)
                || (b[0] == 198 && (b[1] == 18 || b[1] == 19))  // benchmarking
                || b[0] >= 224);                                // multicast and reserved
        }

        return !(address.IsIPv6LinkLocal || address.IsIPv6SiteLocal || address.IsIPv6Multicast || address.IsIPv6UniqueLocal);
    }

    /// <summary>A connect callback that resolves the host itself and refuses non-public addresses.</summary>
    public static Func<SocketsHttpConnectionContext, CancellationToken, ValueTask<Stream>> ConnectCallback(bool allowPrivateNetworks) =>
        async (context, cancellationToken) =>
        {
            var addresses = await Dns.GetHostAddressesAsync(context.DnsEndPoint.Host, cancellationToken);
            var allowed = allowPrivateNetworks ? addresses : [.. addresses.Where(IsPublic)];
            if (allowed.Length == 0)
            {
                throw new HttpRequestException($"Refused to connect to {context.DnsEndPoint.Host}: it resolves to no public address.");
            }

            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(allowed, context.DnsEndPoint.Port, cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        };
}
