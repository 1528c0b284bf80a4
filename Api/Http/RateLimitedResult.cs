using System.Globalization;
using Microsoft.AspNetCore.Http;

namespace PaySessions.Api.Http;

/// <summary>
/// 429 in the seed's shape, <c>{"error":"rate_limit_exceeded","message","type","retry_after"}</c>,
/// with the matching <c>Retry-After</c> header.
/// </summary>
public sealed class RateLimitedResult(string message, string type, int retryAfter) : IResult
{
    public const string SessionRequests = "Too many session requests";

    public Task ExecuteAsync(HttpContext httpContext)
    {
        httpContext.Response.Headers.RetryAfter = retryAfter.ToString(CultureInfo.InvariantCulture);
        return TypedResults.Json(
            new RateLimitBody("rate_limit_exceeded", message, type, retryAfter),
            statusCode: StatusCodes.Status429TooManyRequests).ExecuteAsync(httpContext);
    }

    private sealed record RateLimitBody(string Error, string Message, string Type, int RetryAfter);
}
