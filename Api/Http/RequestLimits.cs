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
            return Refuse(context, StatusCodes.Status414UriTooLong, "URI too long");
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
            ? Refuse(context, StatusCodes.Status431RequestHeaderFieldsTooLarge, "Request headers too large")
            : next(context);
    }

    private static Task Refuse(HttpContext context, int status, string message)
    {
        context.Response.StatusCode = status;
        return context.Response.WriteAsJsonAsync(new ApiErrors.ErrorBody(message));
    }

    /// <summary>
    /// For status-code pages: a response that ends with an error status and no body (no route,
    /// wrong method, a bare challenge) gets <c>{"error":"…"}</c> with the standard reason phrase.
    /// </summary>
    public static Task WriteEmptyError(HttpContext context)
    {
        var status = context.Response.StatusCode;
        var message = status switch
        {
            StatusCodes.Status404NotFound => "Not found",
            StatusCodes.Status405MethodNotAllowed => "Method not allowed",
            _ => ReasonPhrases.GetReasonPhrase(status) is { Length: > 0 } phrase ? phrase : "Error",
        };
        return context.Response.WriteAsJsonAsync(new ApiErrors.ErrorBody(message));
    }
}
