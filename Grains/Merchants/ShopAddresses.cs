using System.Net;

namespace PaySessions.Grains.Merchants;

/// <summary>
/// The rules for the two places of a merchant's own site the hosted page points at: the return
/// URL (where a customer goes after paying) and the origins allowed to frame the page. Both end up
/// in a browser, never in a request this service makes, so they are not an SSRF risk; the rules
/// keep them to plain https web addresses a customer's browser can safely follow or a
/// Content-Security-Policy can carry. Plain http is accepted only for loopback hosts, and only
/// when <c>allowLoopbackHttp</c> (Development and tests: a shop on the developer's own machine).
/// </summary>
public static class ShopAddresses
{
    /// <summary>Longest return URL accepted (the URL grows by <c>session_id</c> when used).</summary>
    public const int MaxReturnUrlLength = 2000;

    /// <summary>Most frame origins a business may list: a CSP header stays small.</summary>
    public const int MaxFrameOrigins = 20;

    /// <summary>Longest single origin accepted.</summary>
    public const int MaxOriginLength = 300;

    /// <summary>The query parameter the return URL gains: the session the customer paid.</summary>
    public const string SessionIdParameter = "session_id";

    /// <summary>The return URL in canonical form, or why it is refused.</summary>
    public static (string? Url, string? Error) CheckReturnUrl(string url, bool allowLoopbackHttp)
    {
        ArgumentNullException.ThrowIfNull(url);
        if (url.Length > MaxReturnUrlLength)
        {
            return (null, $"The return URL must be at most {MaxReturnUrlLength} characters.");
        }

        if (url.Length == 0 || url.Any(c => char.IsWhiteSpace(c) || char.IsControl(c))
            || !Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("https" or "http") || uri.Host.Length == 0)
        {
            return (null, "The return URL must be an absolute https URL.");
        }

        if (SchemeRefusal(uri, allowLoopbackHttp, "return URL") is { } refused)
        {
            return (null, refused);
        }

        if (uri.UserInfo.Length > 0)
        {
            return (null, "The return URL must not contain credentials.");
        }

        if (HasParameter(uri.Query, SessionIdParameter))
        {
            return (null, $"The return URL must not carry {SessionIdParameter}: the hosted page adds it.");
        }

        return uri.AbsoluteUri.Length > MaxReturnUrlLength
            ? (null, $"The return URL must be at most {MaxReturnUrlLength} characters.")
            : (uri.AbsoluteUri, null);
    }

    /// <summary>
    /// The origins in canonical form (<c>scheme://host[:port]</c>, lower case, default port left
    /// out, each once, in the order given), or why the list is refused: one bad entry refuses all.
    /// </summary>
    public static (IReadOnlyList<string> Origins, string? Error) CheckFrameOrigins(IReadOnlyList<string> origins, bool allowLoopbackHttp)
    {
        ArgumentNullException.ThrowIfNull(origins);
        var canonical = new List<string>();
        foreach (var given in origins)
        {
            var (origin, error) = CheckOrigin(given ?? "", allowLoopbackHttp);
            if (error is not null)
            {
                return ([], error);
            }

            if (!canonical.Contains(origin!, StringComparer.Ordinal))
            {
                canonical.Add(origin!);
            }
        }

        return canonical.Count > MaxFrameOrigins
            ? ([], $"At most {MaxFrameOrigins} frame origins may be allowed.")
            : (canonical, null);
    }

    private static (string? Origin, string? Error) CheckOrigin(string given, bool allowLoopbackHttp)
    {
        var shown = given.Length > 80 ? given[..80] + "…" : given;
        if (given.Length == 0 || given.Length > MaxOriginLength || given.Any(c => char.IsWhiteSpace(c) || char.IsControl(c) || c is ';' or ',' or '*' or '\'' or '"')
            || !Uri.TryCreate(given, UriKind.Absolute, out var uri) || uri.Scheme is not ("https" or "http") || uri.Host.Length == 0)
        {
            return (null, $"'{shown}' is not an origin: write scheme://host[:port], e.g. https://shop.example.");
        }

        // An origin is scheme, host and port only: a path, query, fragment or credentials mean the
        // merchant meant something else, and a CSP source with a path would not match the origin.
        var afterAuthority = given[(given.IndexOf("//", StringComparison.Ordinal) + 2)..];
        var rest = afterAuthority.IndexOfAny(['/', '?', '#']) is var at and >= 0 ? afterAuthority[at..] : "";
        if (uri.UserInfo.Length > 0 || (rest.Length > 0 && rest != "/"))
        {
            return (null, $"'{shown}' is not an origin: no path, query or credentials, only scheme://host[:port].");
        }

        if (SchemeRefusal(uri, allowLoopbackHttp, "frame origin") is { } refused)
        {
            return (null, $"'{shown}': {refused}");
        }

        var host = uri.HostNameType == UriHostNameType.IPv6 ? "[" + uri.Host.Trim('[', ']') + "]" : uri.IdnHost;
        var origin = uri.Scheme + "://" + host.ToLowerInvariant() + (uri.IsDefaultPort ? "" : ":" + uri.Port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return (origin, null);
    }

    private static string? SchemeRefusal(Uri uri, bool allowLoopbackHttp, string what)
    {
        if (uri.Scheme == "https")
        {
            return null;
        }

        return allowLoopbackHttp && IsLoopback(uri)
            ? null
            : $"The {what} must use https (http only for a loopback host, and only in Development).";
    }

    private static bool IsLoopback(Uri uri) =>
        uri.Host.Equals("localhost", StringComparison.OrdinalIgnoreCase)
        || (IPAddress.TryParse(uri.Host.Trim('[', ']'), out var address) && IPAddress.IsLoopback(address));

    private static bool HasParameter(string query, string name) =>
        query.TrimStart('?').Split('&').Any(pair =>
        {
            var key = pair.Split('=', 2)[0];
            return string.Equals(Uri.UnescapeDataString(key.Replace('+', ' ')), name, StringComparison.Ordinal);
        });
}
