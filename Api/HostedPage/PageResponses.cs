using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Web;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace PaySessions.Api.HostedPage;

/// <summary>
/// Renders <see cref="PayPage"/> to HTML on the server (static rendering with
/// <see cref="HtmlRenderer"/>: no circuit, no script) and answers it with the page's headers.
/// </summary>
public static class PageResponses
{
    // No script at all; styles only from our own origin; nothing may frame the page (clickjacking
    // a pay button). form-action is left out on purpose: a chosen method answers 303 to the
    // provider's own origin, and browsers apply form-action to that redirect too.
    public const string ContentSecurityPolicy =
        "default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; frame-ancestors 'none'";

    public static Task<IResult> Page(HttpContext http, PageView view, int status) =>
        Render<PayPage>(http, new Dictionary<string, object?> { [nameof(PayPage.View)] = view }, status, view.FrameOrigins);

    /// <summary>
    /// Any page of ours (the hosted page, the sandbox checkout) rendered with the page's headers:
    /// they share the stylesheet and the rules on script, framing and caching.
    /// </summary>
    /// <param name="frameOrigins">The origins that may frame the page (a business's iframe mode); none when null.</param>
    public static async Task<IResult> Render<TComponent>(HttpContext http, IDictionary<string, object?> parameters, int status, IReadOnlyList<string>? frameOrigins = null)
        where TComponent : IComponent
    {
        var loggers = http.RequestServices.GetService(typeof(ILoggerFactory)) as ILoggerFactory ?? Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance;
        await using var renderer = new HtmlRenderer(http.RequestServices, loggers);
        var html = await renderer.Dispatcher.InvokeAsync(async () =>
        {
            var output = await renderer.RenderComponentAsync<TComponent>(ParameterView.FromDictionary(parameters));
            return output.ToHtmlString();
        });
        ApplyHeaders(http.Response, frameOrigins);
        return TypedResults.Content(html, "text/html; charset=utf-8", statusCode: status);
    }

    /// <summary>303 See Other: after a form POST the browser follows with a GET.</summary>
    public static IResult SeeOther(HttpContext http, string location)
    {
        ApplyHeaders(http.Response);
        http.Response.StatusCode = StatusCodes.Status303SeeOther;
        http.Response.Headers.Location = location;
        return TypedResults.Empty;
    }

    /// <summary>A fresh token for the page's forms (and its cookie, set on this response).</summary>
    public static FormToken Token(HttpContext http, IAntiforgery antiforgery)
    {
        var tokens = antiforgery.GetAndStoreTokens(http);
        return new FormToken(tokens.FormFieldName, tokens.RequestToken!);
    }

    /// <summary>
    /// The policy of a page of a business that allows framing: exactly its origins may frame it,
    /// and the page's own script (from this origin, never inline) may run.
    /// </summary>
    public static string PolicyFor(IReadOnlyList<string> frameOrigins) =>
        frameOrigins.Count == 0
            ? ContentSecurityPolicy
            : "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; base-uri 'none'; frame-ancestors " + string.Join(' ', frameOrigins);

    private static void ApplyHeaders(HttpResponse response, IReadOnlyList<string>? frameOrigins = null)
    {
        var headers = response.Headers;
        headers.ContentSecurityPolicy = PolicyFor(frameOrigins ?? []);
        headers["Referrer-Policy"] = "no-referrer";
        headers.XContentTypeOptions = "nosniff";
        // X-Frame-Options cannot name several origins; with frame-ancestors listing some it is
        // left out (browsers that know frame-ancestors ignore it anyway), DENY otherwise.
        if (frameOrigins is not { Count: > 0 })
        {
            headers.XFrameOptions = "DENY";
        }
        else
        {
            headers.Remove("X-Frame-Options");
        }

        // The page shows a session's state and carries a one-time form token: never stored.
        headers.CacheControl = "no-store";
        headers.Pragma = "no-cache";
    }
}
