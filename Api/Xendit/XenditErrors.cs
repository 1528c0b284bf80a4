using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.WebUtilities;
using PaySessions.Api.Http;

namespace PaySessions.Api.Xendit;

/// <summary>
/// Xendit's error body, <c>{"error_code","message"}</c>, with <c>errors: [{"message","path"}]</c>
/// for API_VALIDATION_ERROR (paths like <c>/body/session_type</c>), and the codes of the seed's
/// catalogue plus the two general ones its merchants also meet (RATE_LIMIT_EXCEEDED on 429,
/// SERVER_ERROR on 5xx).
/// </summary>
public static class XenditErrors
{
    public const string ApiValidationError = "API_VALIDATION_ERROR";
    public const string InvalidApiKey = "INVALID_API_KEY";
    public const string DataNotFound = "DATA_NOT_FOUND";
    public const string DuplicateError = "DUPLICATE_ERROR";
    public const string RateLimitExceeded = "RATE_LIMIT_EXCEEDED";
    public const string ServerError = "SERVER_ERROR";

    /// <summary>Ours, not the seed's: the idempotency key was used with another request (422).</summary>
    public const string IdempotencyKeyReused = "IDEMPOTENCY_KEY_REUSED";

    /// <summary>Ours, not the seed's: another try of the same request holds the idempotency key right now (409).</summary>
    public const string IdempotencyKeyInUse = "IDEMPOTENCY_KEY_IN_USE";

    /// <summary>The seed's words for a bad key, whatever was wrong with it.</summary>
    public const string InvalidApiKeyMessage = "API key is not authorized for this API";

    /// <summary>The seed's words for the unexpected.</summary>
    public const string ServerErrorMessage = "Something unexpected happened. We are investigating this issue. Please try again later.";

    public static IResult Error(int status, string errorCode, string message) =>
        TypedResults.Json(new ErrorBody(errorCode, message, null), statusCode: status);

    /// <summary>
    /// API_VALIDATION_ERROR for one problem at <paramref name="path"/> (a JSON pointer into the
    /// request, <c>/body/…</c>): <c>message</c> is <c>request{path} {problem}</c>, as the seed's
    /// example words it ("request/body must have required property 'session_type'").
    /// </summary>
    public static IResult Validation(string path, string problem, int status = StatusCodes.Status400BadRequest) =>
        TypedResults.Json(
            new ErrorBody(ApiValidationError, $"request{path} {problem}", [new FieldError(problem, path)]),
            statusCode: status);

    /// <summary>The seed's words for a payment session that is not the caller's (the owner check's answer on this dialect's routes).</summary>
    public const string SessionNotFoundMessage = "The payment session provided in the request does not exist";

    /// <summary>The same 404 for an unknown session and another's, typed for the owner check and handlers.</summary>
    public static NotFound<ErrorBody> SessionNotFound() =>
        TypedResults.NotFound(new ErrorBody(DataNotFound, SessionNotFoundMessage, null));

    public static NotFound<ErrorBody> NotFound(string errorCode, string message) => TypedResults.NotFound(new ErrorBody(errorCode, message, null));

    public static BadRequest<ErrorBody> BadRequest(string errorCode, string message) => TypedResults.BadRequest(new ErrorBody(errorCode, message, null));

    public static Conflict<ErrorBody> Conflict(string errorCode, string message) => TypedResults.Conflict(new ErrorBody(errorCode, message, null));

    /// <summary>500 SERVER_ERROR in the seed's words.</summary>
    public static Answer<Status.InternalServerError, ErrorBody> ServerFault() =>
        new(new ErrorBody(ServerError, ServerErrorMessage, null));

    /// <summary>429 RATE_LIMIT_EXCEEDED with <c>Retry-After</c>, typed for a handler that answers it itself.</summary>
    public static Answer<Status.TooManyRequests, ErrorBody> RateLimit(string message, int retryAfterSeconds) =>
        new(new ErrorBody(RateLimitExceeded, message, null), retryAfterSeconds);

    public sealed record ErrorBody(
        string ErrorCode,
        string Message,
        [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<FieldError>? Errors = null);

    public sealed record FieldError(string Message, string Path);
}

/// <summary>
/// The Xendit dialect's words for the failures every route may give. Statuses are the service's
/// (see <see cref="ErrorShape.StatusOf"/>); codes are the catalogue's: a body that cannot be read,
/// is too large or is not an object is API_VALIDATION_ERROR at <c>/body</c>; the 503 of a
/// transient failure is SERVER_ERROR with <c>Retry-After</c>, which a Xendit client already retries.
/// </summary>
public sealed class XenditErrorShape : ErrorShape
{
    public static XenditErrorShape Instance { get; } = new();

    public override IResult Failure(RequestFailure failure, int status) => failure switch
    {
        RequestFailure.MalformedJson => XenditErrors.Validation("/body", "must be valid JSON", status),
        RequestFailure.NotAnObject => XenditErrors.Validation("/body", "must be object", status),
        RequestFailure.BadRequest => XenditErrors.Validation("/body", "could not be read", status),
        RequestFailure.BodyTooLarge => XenditErrors.Validation("/body", $"must not be larger than {RequestBody.MaxBytes} bytes", status),
        RequestFailure.UriTooLong => XenditErrors.Validation("/path", $"must not be longer than {RequestLimits.MaxUrlLength} characters", status),
        RequestFailure.HeadersTooLarge => XenditErrors.Validation("/headers", $"must not be larger than {RequestLimits.MaxHeadersLength} characters", status),
        RequestFailure.Unauthorized => XenditErrors.Error(status, XenditErrors.InvalidApiKey, XenditErrors.InvalidApiKeyMessage),
        RequestFailure.SessionNotFound => XenditErrors.Error(status, XenditErrors.DataNotFound, XenditErrors.SessionNotFoundMessage),
        RequestFailure.NotFound => XenditErrors.Error(status, XenditErrors.DataNotFound, "The requested resource does not exist"),
        RequestFailure.MethodNotAllowed => XenditErrors.Validation("/method", "is not allowed on this path", status),
        RequestFailure.Unavailable => WithRetryAfter(
            XenditErrors.Error(status, XenditErrors.ServerError, "The service is unavailable for a moment. Please try again later."),
            TransientFailures.RetryAfterSeconds),
        RequestFailure.ClientClosed => XenditErrors.Error(status, XenditErrors.ServerError, "The client closed the request."),
        RequestFailure.InvalidIdempotencyKey => XenditErrors.Validation("/headers/idempotency-key", IdempotencyKeyFilter.InvalidKeyProblem, status),
        RequestFailure.IdempotencyKeyReused => XenditErrors.Error(status, XenditErrors.IdempotencyKeyReused, IdempotencyKeyFilter.ReusedMessage),
        RequestFailure.IdempotencyKeyInUse => WithRetryAfter(
            XenditErrors.Error(status, XenditErrors.IdempotencyKeyInUse, IdempotencyKeyFilter.InUseMessage), IdempotencyKeyFilter.RetryAfterSeconds),
        _ => XenditErrors.Error(status, XenditErrors.ServerError, XenditErrors.ServerErrorMessage),
    };

    public override IResult RateLimited(RateLimitScope scope, string message, int retryAfterSeconds) =>
        XenditErrors.RateLimit(message, retryAfterSeconds);

    public override IResult EmptyStatus(int status) => status switch
    {
        StatusCodes.Status401Unauthorized => Failure(RequestFailure.Unauthorized),
        StatusCodes.Status404NotFound => Failure(RequestFailure.NotFound),
        StatusCodes.Status405MethodNotAllowed => Failure(RequestFailure.MethodNotAllowed),
        >= 500 => Failure(RequestFailure.Unexpected, status),
        _ => XenditErrors.Error(status, XenditErrors.ApiValidationError, ReasonPhrases.GetReasonPhrase(status) is { Length: > 0 } phrase ? phrase : "Error"),
    };

    public override Type BodyTypeFor(int status) => typeof(XenditErrors.ErrorBody);
}
