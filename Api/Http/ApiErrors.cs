using Microsoft.AspNetCore.Http;

namespace PaySessions.Api.Http;

/// <summary>
/// The Payviox-style error bodies, in one place. Failures every route may give (a bad key, a
/// session that is not the caller's, a body that cannot be read) go through
/// <see cref="ErrorShapes"/> instead, so that each route group answers them in its own dialect.
/// </summary>
public static class ApiErrors
{
    public static IResult Error(int status, string message) =>
        TypedResults.Json(new ErrorBody(message), statusCode: status);

    /// <summary>The same 404 for an unknown session and another's, in the shape of the route it was asked on.</summary>
    public static IResult SessionNotFound() => ErrorShapes.Failure(RequestFailure.SessionNotFound);

    /// <summary>Laravel-style field errors: <c>{"field": ["message", …]}</c>, status 400.</summary>
    public static IResult Validation(IReadOnlyDictionary<string, List<string>> errors) =>
        TypedResults.Json(errors, statusCode: StatusCodes.Status400BadRequest);

    public static IResult Validation(string field, string message) =>
        Validation(new Dictionary<string, List<string>> { [field] = [message] });

    public sealed record ErrorBody(string Error);

    /// <summary>For the API description only: the Laravel-style body, each field with its messages.</summary>
    public sealed class FieldErrors : Dictionary<string, IReadOnlyList<string>>;
}
