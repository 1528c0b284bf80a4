using System.Diagnostics;
using MediatR;
using Microsoft.Extensions.Logging;

namespace PaySessions.Api.Http;

/// <summary>
/// Traces (a span named after the request type, on <see cref="ApiTelemetry.Source"/>) and logs which
/// request ran and how long it took. Never the request itself: requests carry card data, customer
/// details and keys.
/// </summary>
public sealed partial class RequestLoggingBehavior<TRequest, TResponse>(ILogger<RequestLoggingBehavior<TRequest, TResponse>> logger)
    : IPipelineBehavior<TRequest, TResponse>
{
    private static readonly string SpanName = typeof(TRequest).Name;

    public async Task<TResponse> Handle(TRequest request, CancellationToken cancellationToken, RequestHandlerDelegate<TResponse> next)
    {
        using var activity = ApiTelemetry.Source.StartActivity(SpanName);
        var started = Stopwatch.GetTimestamp();
        var response = await next();
        if (logger.IsEnabled(LogLevel.Debug))
        {
            var elapsed = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            LogHandled(logger, typeof(TRequest).Name, elapsed);
        }

        return response;
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Handled {Request} in {ElapsedMs:0.0} ms")]
    private static partial void LogHandled(ILogger logger, string request, double elapsedMs);
}

/// <summary>The front door's activity source: one span per MediatR request, inside the HTTP request's.</summary>
public static class ApiTelemetry
{
    public static readonly ActivitySource Source = new("PaySessions.Api");
}
