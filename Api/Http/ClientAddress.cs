using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Http;
using PaySessions.Grains.Sessions;

namespace PaySessions.Api.Http;

/// <summary>IP address text as it is stored and rate-limited: canonical, IPv4-mapped IPv6 as IPv4.</summary>
public static class ClientAddress
{
    /// <summary>
    /// The browser's <c>User-Agent</c> as it is recorded for a payment (bounded and cleaned by
    /// <see cref="PayerFacts.UserAgent"/>); null when there is none. Personal data: never logged.
    /// </summary>
    public static string? UserAgentOf(HttpContext http) => PayerFacts.UserAgent(http.Request.Headers.UserAgent.ToString());

    public static string Normalize(IPAddress address) =>
        (address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address).ToString();

    /// <summary>
    /// Strict parsing: dotted-quad IPv4 or IPv6 only. <see cref="IPAddress.TryParse(string, out IPAddress)"/>
    /// alone would also take "1", "1.2" or "0x7f.1" as addresses.
    /// </summary>
    public static bool TryParse(string text, out string normalized)
    {
        normalized = "";
        if (text.Length is 0 or > 64 || !IPAddress.TryParse(text, out var address))
        {
            return false;
        }

        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            var parts = text.Split('.');
            if (parts.Length != 4 || parts.Any(p => p.Length is 0 or > 3 || !p.All(char.IsAsciiDigit) || (p.Length > 1 && p[0] == '0')))
            {
                return false;
            }
        }
        else if (address.AddressFamily != AddressFamily.InterNetworkV6 || !text.Contains(':', StringComparison.Ordinal))
        {
            return false;
        }

        normalized = Normalize(address);
        return true;
    }
}
