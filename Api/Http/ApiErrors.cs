using Microsoft.AspNetCore.Http;

namespace PaySessions.Api.Http;

/// <summary>The error bodies of the Payviox-style contract, in one place.</summary>
public static class ApiErrors
{
    public static IResult Error(int status, string message) =>
        TypedResults.Json(new ErrorBody(message), statusCode: status);

    public static IResult Unauthorized() => Error(StatusCodes.Status401Unauthorized, "Unauthorized");

    public static IResult SessionNotFound() => Error(StatusCodes.Status404NotFound, "Session not found");

    /// <summary>Laravel-style field errors: <c>{"field": ["message", …]}</c>, status 400.</summary>
    public static IResult Validation(IReadOnlyDictionary<string, List<string>> errors) =>
        TypedResults.Json(errors, statusCode: StatusCodes.Status400BadRequest);

    public static IResult Validation(string field, string message) =>
        Validation(new Dictionary<string, List<string>> { [field] = [message] });

    public sealed record ErrorBody(string Error);
}
