using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using PaySessions.Api.Http;

namespace PaySessions.Api.HostedPage;

/// <summary>
/// The hosted page's one script, only on pages of a business that allows framing (iframe mode):
/// when the page is framed it tells the parent window what happened (<c>payviox:redirect</c>,
/// <c>payviox:close</c>). Served like the stylesheet, under a name carrying its hash, cached for a
/// year; the page loads it with its integrity value, and the policy allows only
/// <c>script-src 'self'</c>. The page works without it (or with JavaScript off).
/// </summary>
public static class PageScript
{
    private static readonly EmbeddedAsset Asset = EmbeddedAsset.Load("PaySessions.Api.HostedPage.frame.js");

    public static readonly string FileName = "frame." + Asset.Hash + ".js";

    public static string Href => "/pay/scripts/" + FileName;

    public static string Integrity => Asset.Integrity;

    public static IResult Serve([FromRoute(Name = "name")] string name, HttpContext http)
    {
        if (!string.Equals(name, FileName, StringComparison.Ordinal))
        {
            return TypedResults.NotFound();
        }

        http.Response.Headers.CacheControl = "public, max-age=31536000, immutable";
        http.Response.Headers.XContentTypeOptions = "nosniff";
        return TypedResults.Bytes(Asset.Bytes, "text/javascript; charset=utf-8");
    }
}
