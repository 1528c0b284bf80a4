using System.Net;
using Microsoft.Extensions.Options;

namespace PaySessions.Api;

/// <summary>Front-door settings (<c>PaySessions:Http</c>).</summary>
public sealed class ApiOptions
{
    public const string Section = "PaySessions:Http";

    /// <summary>
    /// Reverse proxies whose X-Forwarded-For is believed: single addresses (<c>10.0.0.5</c>) or
    /// networks in CIDR form (<c>10.0.0.0/8</c>, <c>fd00::/8</c>), since behind a Kubernetes
    /// ingress the proxy's address changes with its pods. Empty by default: then the client
    /// address is the TCP peer, whatever headers say.
    /// </summary>
    public IList<string> TrustedProxies { get; } = [];

    /// <summary>
    /// Reads one <see cref="TrustedProxies"/> entry: an address is a network of that one address.
    /// A network must be written with its base address (<c>10.0.0.0/8</c>, not <c>10.1.2.3/8</c>):
    /// a stray host part is more likely a typo than a wish, so it is refused rather than guessed.
    /// </summary>
    public static bool TryParseProxy(string? value, out IPNetwork network)
    {
        network = default;
        var text = value?.Trim();
        if (string.IsNullOrEmpty(text))
        {
            return false;
        }

        var slash = text.IndexOf('/', StringComparison.Ordinal);
        if (slash >= 0)
        {
            // IPNetwork clears a host part silently; the address as written must be the base.
            return IPNetwork.TryParse(text, out network)
                && IPAddress.TryParse(text[..slash], out var written)
                && written.Equals(network.BaseAddress);
        }

        if (!IPAddress.TryParse(text, out var address))
        {
            return false;
        }

        network = new IPNetwork(address, address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? 128 : 32);
        return true;
    }
}

/// <summary>Refuses a start with a <see cref="ApiOptions.TrustedProxies"/> entry that is neither an address nor a network.</summary>
public sealed class ApiOptionsValidator : IValidateOptions<ApiOptions>
{
    public ValidateOptionsResult Validate(string? name, ApiOptions options)
    {
        var failures = new List<string>();
        for (var i = 0; i < options.TrustedProxies.Count; i++)
        {
            if (!ApiOptions.TryParseProxy(options.TrustedProxies[i], out _))
            {
                failures.Add(
                    $"{ApiOptions.Section}:TrustedProxies:{i} is '{options.TrustedProxies[i]}'; it must be an IP address (10.0.0.5) "
                    + "or a network in CIDR form with its base address (10.0.0.0/8, fd00::/8).");
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
