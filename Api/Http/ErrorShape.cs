using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;

namespace PaySessions.Api.Http;

/// <summary>
/// What went wrong with a request before any use case could judge it, said the same way whatever
/// the dialect: each <see cref="ErrorShape"/> turns one into its own body. The status is fixed by
/// the failure, so every dialect answers the same status for the same problem.
/// </summary>
public enum RequestFailure
{
    /// <summary>400: the server could not read the request at all (Kestrel's own refusal).</summary>
    BadRequest,

    /// <summary>400: the body is not JSON every reader can trust (see <see cref="WellFormedJson"/>).</summary>
    MalformedJson,

    /// <summary>400: the body is JSON but not an object.</summary>
    NotAnObject,

    /// <summary>401: no key, or one that is malformed, unknown or revoked.</summary>
    Unauthorized,

    /// <summary>404: the session does not exist or is not the caller's (the same answer for both).</summary>
    SessionNotFound,

    /// <summary>404: no route.</summary>
    NotFound,

    /// <summary>405: the route does not take this method.</summary>
    MethodNotAllowed,

    /// <summary>413: a body over <see cref="RequestBody.MaxBytes"/>.</summary>
    BodyTooLarge,

    /// <summary>414: see <see cref="RequestLimits.MaxUrlLength"/>.</summary>
    UriTooLong,

    /// <summary>431: see <see cref="RequestLimits.MaxHeadersLength"/>.</summary>
    HeadersTooLarge,

    /// <summary>400: an <c>Idempotency-Key</c> header that is not 1 to 255 visible ASCII characters, or sent twice.</summary>
    InvalidIdempotencyKey,

    /// <summary>409 with <c>Retry-After</c>: another try of the same request holds the idempotency key right now.</summary>
    IdempotencyKeyInUse,

    /// <summary>422: the idempotency key was used with another request (see <see cref="IdempotencyKeyFilter"/>).</summary>
    IdempotencyKeyReused,

    /// <summary>499: the client went away before the answer.</summary>
    ClientClosed,

    /// <summary>500: a fault of ours, never the client's.</summary>
    Unexpected,

    /// <summary>503 with <c>Retry-After</c>: see <see cref="TransientFailures"/>.</summary>
    Unavailable,
}

/// <summary>Which limit a 429 is about: the end user's address, or one customer of one business.</summary>
public enum RateLimitScope
{
    Ip,
    Customer,
}

/// <summary>
/// How one API dialect words the errors every route may give: attached as endpoint metadata to a
/// route group (<see cref="ErrorShapes.WithErrorShape{TBuilder}"/>), and asked by every shared
/// writer (body filter, size limits, authentication, rate limits, exception handler,
/// status-code pages) through <see cref="ErrorShapes.For"/>. A route with none answers in
/// <see cref="ErrorShapes.Default"/>, the shapes the service has always used.
/// </summary>
public abstract class ErrorShape
{
    /// <summary>The body (and any header) for <paramref name="failure"/>, with its status.</summary>
    public IResult Failure(RequestFailure failure) => Failure(failure, StatusOf(failure));

    /// <summary>
    /// The body for <paramref name="failure"/> under another status than its own: only for
    /// <see cref="RequestFailure.BadRequest"/>, whose status is the one Kestrel chose (408, 411, …).
    /// </summary>
    public abstract IResult Failure(RequestFailure failure, int status);

    /// <summary>429 with <c>Retry-After</c>: <paramref name="message"/> says which requests were too many.</summary>
    public abstract IResult RateLimited(RateLimitScope scope, string message, int retryAfterSeconds);

    /// <summary>An error status a route answered with no body (status-code pages): say what the status means.</summary>
    public abstract IResult EmptyStatus(int status);

    /// <summary>
    /// The type whose schema describes this shape's body for an error <paramref name="status"/>,
    /// for the API description (<see cref="OpenApi.ApiResponses"/>): kept beside the writers above
    /// so that a new body here is documented by the same hand.
    /// </summary>
    public abstract Type BodyTypeFor(int status);

    public static int StatusOf(RequestFailure failure) => failure switch
    {
        RequestFailure.BadRequest or RequestFailure.MalformedJson or RequestFailure.NotAnObject or RequestFailure.InvalidIdempotencyKey
            => StatusCodes.Status400BadRequest,
        RequestFailure.IdempotencyKeyInUse => StatusCodes.Status409Conflict,
        RequestFailure.IdempotencyKeyReused => StatusCodes.Status422UnprocessableEntity,
        RequestFailure.Unauthorized => StatusCodes.Status401Unauthorized,
        RequestFailure.SessionNotFound or RequestFailure.NotFound => StatusCodes.Status404NotFound,
        RequestFailure.MethodNotAllowed => StatusCodes.Status405MethodNotAllowed,
        RequestFailure.BodyTooLarge => StatusCodes.Status413PayloadTooLarge,
        RequestFailure.UriTooLong => StatusCodes.Status414UriTooLong,
        RequestFailure.HeadersTooLarge => StatusCodes.Status431RequestHeaderFieldsTooLarge,
        RequestFailure.ClientClosed => 499,
        RequestFailure.Unavailable => StatusCodes.Status503ServiceUnavailable,
        _ => StatusCodes.Status500InternalServerError,
    };

    /// <summary>Sets <c>Retry-After</c> on the response; for 429 and 503 bodies of every shape.</summary>
    protected static IResult WithRetryAfter(IResult result, int seconds) => new RetryAfterResult(result, seconds);

    private sealed class RetryAfterResult(IResult inner, int seconds) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
            return inner.ExecuteAsync(httpContext);
        }
    }
}

/// <summary>Finds the error shape of the route a request is on, and attaches one to a group.</summary>
public static class ErrorShapes
{
    /// <summary>The service's own shapes (the Payviox-style <c>{"error":"…"}</c>), for routes with no dialect.</summary>
    public static ErrorShape Default { get; } = new PayvioxErrorShape();

    /// <summary>Every endpoint of <paramref name="builder"/> answers its shared errors in <paramref name="shape"/>.</summary>
    public static TBuilder WithErrorShape<TBuilder>(this TBuilder builder, ErrorShape shape)
        where TBuilder : IEndpointConventionBuilder => builder.WithMetadata(shape);

    /// <summary>
    /// The shape of the request's endpoint. The exception handler clears the endpoint before it
    /// runs, so the one that failed is read from the exception feature; no endpoint (no route,
    /// a wrong method, a refusal before routing) is the default.
    /// </summary>
    public static ErrorShape For(HttpContext context)
    {
        var endpoint = context.GetEndpoint() ?? context.Features.Get<IExceptionHandlerFeature>()?.Endpoint;
        return endpoint?.Metadata.GetMetadata<ErrorShape>() ?? Default;
    }

    /// <summary>Writes <paramref name="failure"/> in the request's shape.</summary>
    public static Task Write(HttpContext context, RequestFailure failure) => For(context).Failure(failure).ExecuteAsync(context);
}

/// <summary>
/// The Payviox-style shapes: <c>{"error":"…"}</c>; for a body that cannot be read, the field-error
/// shape keyed <c>body</c>; for 429, <c>{"error":"rate_limit_exceeded","message","type","retry_after"}</c>.
/// Also the shape of routes with no dialect (provider webhooks, the sandbox, no route at all).
/// </summary>
public sealed class PayvioxErrorShape : ErrorShape
{
    public const string BodyTooLargeMessage = "Request body too large";

    public override IResult Failure(RequestFailure failure, int status) => failure switch
    {
        RequestFailure.MalformedJson => ApiErrors.Validation("body", JsonRequestBody.InvalidJson),
        RequestFailure.NotAnObject => ApiErrors.Validation("body", JsonRequestBody.NotAnObject),
        RequestFailure.Unavailable => WithRetryAfter(
            ApiErrors.Error(StatusCodes.Status503ServiceUnavailable, "Service unavailable"), TransientFailures.RetryAfterSeconds),
        RequestFailure.IdempotencyKeyInUse => WithRetryAfter(ApiErrors.Error(status, IdempotencyKeyFilter.InUseMessage), IdempotencyKeyFilter.RetryAfterSeconds),
        _ => ApiErrors.Error(status, failure switch
        {
            RequestFailure.BadRequest => "Bad request",
            RequestFailure.Unauthorized => "Unauthorized",
            RequestFailure.SessionNotFound => ApiErrors.SessionNotFoundMessage,
            RequestFailure.NotFound => "Not found",
            RequestFailure.MethodNotAllowed => "Method not allowed",
            RequestFailure.BodyTooLarge => BodyTooLargeMessage,
            RequestFailure.UriTooLong => "URI too long",
            RequestFailure.HeadersTooLarge => "Request headers too large",
            RequestFailure.ClientClosed => "Client closed request",
            RequestFailure.InvalidIdempotencyKey => IdempotencyKeyFilter.InvalidKeyMessage,
            RequestFailure.IdempotencyKeyReused => IdempotencyKeyFilter.ReusedMessage,
            _ => "Internal server error",
        }),
    };

    public override IResult RateLimited(RateLimitScope scope, string message, int retryAfterSeconds) => RateLimit(scope, message, retryAfterSeconds);

    /// <summary>The Payviox-style 429 with <c>Retry-After</c>, typed for a handler that answers it itself.</summary>
    public static Answer<Status.TooManyRequests, RateLimitBody> RateLimit(RateLimitScope scope, string message, int retryAfterSeconds) =>
        new(new RateLimitBody("rate_limit_exceeded", message, scope == RateLimitScope.Ip ? "ip" : "customer", retryAfterSeconds), retryAfterSeconds);

    public override IResult EmptyStatus(int status) => status switch
    {
        StatusCodes.Status404NotFound => Failure(RequestFailure.NotFound),
        StatusCodes.Status405MethodNotAllowed => Failure(RequestFailure.MethodNotAllowed),
        _ => ApiErrors.Error(status, ReasonPhrases.GetReasonPhrase(status) is { Length: > 0 } phrase ? phrase : "Error"),
    };

    public override Type BodyTypeFor(int status) => status switch
    {
        StatusCodes.Status400BadRequest => typeof(OpenApi.AnyOf<ApiErrors.ErrorBody, ApiErrors.FieldErrors>),
        StatusCodes.Status429TooManyRequests => typeof(RateLimitBody),
        _ => typeof(ApiErrors.ErrorBody),
    };

    /// <summary>The Payviox-style 429 body.</summary>
    public sealed record RateLimitBody(string Error, string Message, string Type, int RetryAfter);
}
