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
        Render<PayPage>(http, new Dictionary<string, object?> { [nameof(PayPage.View)] = view }, status);

    /// <summary>
    /// Any page of ours (the hosted page, the sandbox checkout) rendered with the page's headers:
    /// they share the stylesheet and the rules on script, framing and caching.
    /// </summary>
    public static async Task<IResult> Render<TComponent>(HttpContext http, IDictionary<string, object?> parameters, int status)
        where TComponent : IComponent
    {
        var loggers = http.RequestServices.GetService(typeof(ILoggerFactory)) as ILoggerFactory ?? Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance;
        await using var renderer = new HtmlRenderer(http.RequestServices, loggers);
        var html = await renderer.Dispatcher.InvokeAsync(async () =>
        {
            var output = await renderer.RenderComponentAsync<TComponent>(ParameterView.FromDictionary(parameters));
            return output.ToHtmlString();
        });
        ApplyHeaders(http.Response);
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

    private static void ApplyHeaders(HttpResponse response)
    {
        var headers = response.Headers;
        headers.ContentSecurityPolicy = ContentSecurityPolicy;
        headers["Referrer-Policy"] = "no-referrer";
        headers.XContentTypeOptions = "nosniff";
        headers.XFrameOptions = "DENY";
        // The page shows a session's state and carries a one-time form token: never stored.
        headers.CacheControl = "no-store";
        headers.Pragma = "no-cache";
    }
}
