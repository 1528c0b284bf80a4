using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using PaySessions.Api.OpenApi;

namespace PaySessions.Api.Http;

/// <summary>
/// The Payviox-style error bodies, in one place, as typed results (their status and body are part
/// of their type, so a handler's return type documents them). Failures every route may give (a
/// bad key, a body that cannot be read) go through <see cref="ErrorShapes"/> instead, so that each
/// route group answers them in its own dialect.
/// </summary>
public static class ApiErrors
{
    public const string SessionNotFoundMessage = "Session not found";

    /// <summary>Any status with <c>{"error":"…"}</c>: for the shared writers, whose status is the failure's.</summary>
    public static IResult Error(int status, string message) =>
        TypedResults.Json(new ErrorBody(message), statusCode: status);

    /// <summary>The same 404 for an unknown session and another's (the owner check's answer on a Payviox route).</summary>
    public static NotFound<ErrorBody> SessionNotFound() => TypedResults.NotFound(new ErrorBody(SessionNotFoundMessage));

    /// <summary>The <c>/payment</c> group's words for the same 404.</summary>
    public static NotFound<ErrorBody> PaymentNotFound() => TypedResults.NotFound(new ErrorBody("Payment not found"));

    /// <summary>400 <c>{"error":"…"}</c>; typed as the route's 400, which may also be field errors.</summary>
    public static Answer<Status.BadRequest, AnyOf<ErrorBody, FieldErrors>> BadRequest(string message) =>
        Answer.OneOf<Status.BadRequest, AnyOf<ErrorBody, FieldErrors>, ErrorBody>(new ErrorBody(message));

    /// <summary>Laravel-style field errors: <c>{"field": ["message", …]}</c>, status 400.</summary>
    public static Answer<Status.BadRequest, AnyOf<ErrorBody, FieldErrors>> Validation(IReadOnlyDictionary<string, List<string>> errors)
    {
        var body = new FieldErrors();
        foreach (var (field, messages) in errors)
        {
            body[field] = messages;
        }

        return Answer.OneOf<Status.BadRequest, AnyOf<ErrorBody, FieldErrors>, FieldErrors>(body);
    }

    public static Answer<Status.BadRequest, AnyOf<ErrorBody, FieldErrors>> Validation(string field, string message) =>
        Validation(new Dictionary<string, List<string>> { [field] = [message] });

    public static Answer<Status.Forbidden, ErrorBody> Forbidden(string message) =>
        new(new ErrorBody(message));

    public static Conflict<ErrorBody> Conflict(string message) => TypedResults.Conflict(new ErrorBody(message));

    public sealed record ErrorBody(string Error);

    /// <summary>The Laravel-style body, each field with its messages, in the order they were found.</summary>
    public sealed class FieldErrors : Dictionary<string, IReadOnlyList<string>>;
}
