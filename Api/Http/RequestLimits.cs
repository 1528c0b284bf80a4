using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.WebUtilities;

namespace PaySessions.Api.Http;

/// <summary>
/// Refuses over-long URLs (414) and header sections (431) with a JSON error body. The limits sit
/// below Kestrel's own (8 KiB request line, 32 KiB of headers), so a request between the two is
/// answered here in the API's shape; only a request beyond Kestrel's limits still gets Kestrel's
/// bare reply, because Kestrel refuses it before any middleware runs.
/// </summary>
public sealed class RequestLimits(RequestDelegate next)
{
    /// <summary>Path and query as sent, in characters.</summary>
    public const int MaxUrlLength = 4096;

    /// <summary>Every header name and value together, in characters.</summary>
    public const int MaxHeadersLength = 16 * 1024;

    public Task InvokeAsync(HttpContext context)
    {
        var target = context.Features.Get<IHttpRequestFeature>()?.RawTarget;
        var urlLength = target?.Length ?? (context.Request.Path.Value?.Length ?? 0) + (context.Request.QueryString.Value?.Length ?? 0);
        if (urlLength > MaxUrlLength)
        {
            return ErrorShapes.Write(context, RequestFailure.UriTooLong);
        }

        var headers = 0L;
        foreach (var (name, values) in context.Request.Headers)
        {
            headers += name.Length;
            foreach (var value in values)
            {
                headers += value?.Length ?? 0;
            }
        }

        return headers > MaxHeadersLength
            ? ErrorShapes.Write(context, RequestFailure.HeadersTooLarge)
            : next(context);
    }

    /// <summary>
    /// For status-code pages: a response that ends with an error status and no body (no route,
    /// wrong method, a bare challenge) gets a JSON body in the route's error shape; with no route,
    /// <c>{"error":"…"}</c> with the standard reason phrase.
    /// </summary>
    public static Task WriteEmptyError(HttpContext context) =>
        ErrorShapes.For(context).EmptyStatus(context.Response.StatusCode).ExecuteAsync(context);
}
