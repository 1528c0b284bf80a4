using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Http;

namespace PaySessions.Api.HostedPage;

/// <summary>
/// The antiforgery cookie of the hosted page. At the top level it stays <c>SameSite=Strict</c>.
/// In a frame (iframe mode, the browser says so with <c>Sec-Fetch-Dest: iframe</c>) the shop's
/// page is usually another site, where a Strict or Lax cookie is neither stored nor sent, so the
/// pay buttons' form could never be checked: there the cookie is <c>SameSite=None; Secure;
/// Partitioned</c> (kept per top-level site, so it works where third-party cookies are blocked).
/// Secure cookies need https, or a loopback address in a browser. The form's token stays the
/// check; the cookie's SameSite was a second line only.
/// </summary>
public sealed class FramedPageCookie : CookieBuilder
{
    private FramedPageCookie(CookieBuilder defaults)
    {
        Name = defaults.Name;
        Path = defaults.Path;
        Domain = defaults.Domain;
        HttpOnly = defaults.HttpOnly;
        IsEssential = defaults.IsEssential;
        SameSite = defaults.SameSite;
        SecurePolicy = defaults.SecurePolicy;
    }

    public static void Configure(AntiforgeryOptions options)
    {
        options.Cookie = new FramedPageCookie(options.Cookie);
        // The page sets X-Frame-Options itself, consistently with its frame-ancestors.
        options.SuppressXFrameOptionsHeader = true;
    }

    /// <summary>True when the browser loads this response into a frame.</summary>
    public static bool IsFramed(HttpRequest request) =>
        request.Headers["Sec-Fetch-Dest"].ToString() is "iframe" or "frame";

    public override CookieOptions Build(HttpContext context, DateTimeOffset expiresFrom)
    {
        var options = base.Build(context, expiresFrom);
        if (IsFramed(context.Request))
        {
            options.SameSite = SameSiteMode.None;
            options.Secure = true;
            options.Extensions.Add("Partitioned");
        }

        return options;
    }
}
