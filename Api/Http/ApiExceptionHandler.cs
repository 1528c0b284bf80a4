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
        var failure = exception switch
        {
            BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge } => RequestFailure.BodyTooLarge,
            BadHttpRequestException => RequestFailure.BadRequest,
            _ when TransientFailures.IsTransient(exception) => RequestFailure.Unavailable,
            OperationCanceledException when httpContext.RequestAborted.IsCancellationRequested => RequestFailure.ClientClosed,
            _ => RequestFailure.Unexpected,
        };

        if (failure == RequestFailure.Unavailable)
        {
            // Expected while a database or silo restarts: one line, no stack trace per request.
            LogUnavailable(logger, httpContext.Request.Method, httpContext.Request.Path, exception.GetType().Name);
            await TransientFailures.Write(httpContext);
            return true;
        }

        if (failure == RequestFailure.Unexpected)
        {
            LogFailure(logger, exception, httpContext.Request.Method, httpContext.Request.Path, ErrorShape.StatusOf(failure));
        }

        // In the shape of the route that failed (the handler middleware has cleared the endpoint;
        // ErrorShapes reads it back from the exception feature). A request Kestrel could not read
        // keeps the status Kestrel gave it.
        var status = exception is BadHttpRequestException bad ? bad.StatusCode : ErrorShape.StatusOf(failure);
        await ErrorShapes.For(httpContext).Failure(failure, status).ExecuteAsync(httpContext);
        return true;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Method} {Path} answered 503 after a transient {Failure}")]
    private static partial void LogUnavailable(ILogger logger, string method, string path, string failure);

    [LoggerMessage(Level = LogLevel.Error, Message = "{Method} {Path} failed with {Status}")]
    private static partial void LogFailure(ILogger logger, Exception exception, string method, string path, int status);
}
