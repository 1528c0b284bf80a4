using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace PaySessions.Api.Http;

/// <summary>
/// The last word on anything a handler did not answer: a body the client could not send
/// properly keeps its 4xx, a timeout reaching a grain is a 503 the client may retry, and only a
/// real fault is a 500. Transient failures (see <see cref="TransientFailures"/>), however deeply
/// wrapped, are 503 with <c>Retry-After</c>. Bodies and headers are never logged (they carry keys and card data).
/// </summary>
public sealed partial class ApiExceptionHandler(ILogger<ApiExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        var (status, message) = exception switch
        {
            BadHttpRequestException bad => (bad.StatusCode, bad.StatusCode == StatusCodes.Status413PayloadTooLarge ? "Request body too large" : "Bad request"),
            _ when TransientFailures.IsTransient(exception) => (StatusCodes.Status503ServiceUnavailable, "Service unavailable"),
            OperationCanceledException when httpContext.RequestAborted.IsCancellationRequested => (499, "Client closed request"),
            _ => (StatusCodes.Status500InternalServerError, "Internal server error"),
        };

        if (status == StatusCodes.Status503ServiceUnavailable)
        {
            // Expected while a database or silo restarts: one line, no stack trace per request.
            LogUnavailable(logger, httpContext.Request.Method, httpContext.Request.Path, exception.GetType().Name);
            await TransientFailures.Write(httpContext);
            return true;
        }

        if (status >= 500)
        {
            LogFailure(logger, exception, httpContext.Request.Method, httpContext.Request.Path, status);
        }

        httpContext.Response.StatusCode = status;
        await httpContext.Response.WriteAsJsonAsync(new ApiErrors.ErrorBody(message), cancellationToken);
        return true;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Method} {Path} answered 503 after a transient {Failure}")]
    private static partial void LogUnavailable(ILogger logger, string method, string path, string failure);

    [LoggerMessage(Level = LogLevel.Error, Message = "{Method} {Path} failed with {Status}")]
    private static partial void LogFailure(ILogger logger, Exception exception, string method, string path, int status);
}
