namespace PaySessions.Api;

/// <summary>Front-door settings (<c>PaySessions:Http</c>).</summary>
public sealed class ApiOptions
{
    public const string Section = "PaySessions:Http";

    /// <summary>
    /// Addresses of reverse proxies whose X-Forwarded-For is believed. Empty by default: then the
    /// client address is the TCP peer, whatever headers say.
    /// </summary>
    public IList<string> TrustedProxies { get; } = [];
}
