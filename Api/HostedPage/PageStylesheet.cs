using System.Security.Cryptography;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace PaySessions.Api.HostedPage;

/// <summary>
/// The page's one stylesheet, embedded in the assembly and served under a name that carries a
/// hash of its bytes, so it can be cached for a year: a changed file is a new name.
/// </summary>
public static class PageStylesheet
{
    private static readonly byte[] Bytes = Load();

    public static readonly string FileName = "page." + Convert.ToHexStringLower(SHA256.HashData(Bytes))[..16] + ".css";

    public static string Href => "/pay/assets/" + FileName;

    public static IResult Serve([FromRoute(Name = "name")] string name, HttpContext http)
    {
        if (!string.Equals(name, FileName, StringComparison.Ordinal))
        {
            return TypedResults.NotFound();
        }

        http.Response.Headers.CacheControl = "public, max-age=31536000, immutable";
        http.Response.Headers.XContentTypeOptions = "nosniff";
        return TypedResults.Bytes(Bytes, "text/css; charset=utf-8");
    }

    private static byte[] Load()
    {
        using var stream = typeof(PageStylesheet).Assembly.GetManifestResourceStream("PaySessions.Api.HostedPage.page.css")
            ?? throw new InvalidOperationException("The hosted page's stylesheet is not embedded in the assembly.");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
