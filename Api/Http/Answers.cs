using System.Reflection;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Metadata;
using PaySessions.Api.OpenApi;

namespace PaySessions.Api.Http;

/// <summary>An HTTP status as a type, so that <see cref="Answer{TStatus, TBody}"/> can say it in its own type.</summary>
public interface IHttpStatus
{
    static abstract int Code { get; }
}

/// <summary>The statuses the API answers with a body that ASP.NET's own typed results do not cover.</summary>
public static class Status
{
    public sealed class Ok : IHttpStatus
    {
        public static int Code => StatusCodes.Status200OK;
    }

    public sealed class Created : IHttpStatus
    {
        public static int Code => StatusCodes.Status201Created;
    }

    public sealed class BadRequest : IHttpStatus
    {
        public static int Code => StatusCodes.Status400BadRequest;
    }

    public sealed class Unauthorized : IHttpStatus
    {
        public static int Code => StatusCodes.Status401Unauthorized;
    }

    public sealed class Forbidden : IHttpStatus
    {
        public static int Code => StatusCodes.Status403Forbidden;
    }

    public sealed class PayloadTooLarge : IHttpStatus
    {
        public static int Code => StatusCodes.Status413PayloadTooLarge;
    }

    public sealed class TooManyRequests : IHttpStatus
    {
        public static int Code => StatusCodes.Status429TooManyRequests;
    }

    public sealed class InternalServerError : IHttpStatus
    {
        public static int Code => StatusCodes.Status500InternalServerError;
    }
}

/// <summary>
/// A JSON answer whose status and body are part of its type, like ASP.NET's <c>Ok&lt;T&gt;</c> or
/// <c>NotFound&lt;T&gt;</c>, for what those do not cover: a status with no typed result of its own
/// (401 and 403 with a body, 413, 429, 500), a body that is one of several
/// (<typeparamref name="TBody"/> an <see cref="AnyOf{T1, T2}"/>, built with
/// <see cref="Answer.OneOf{TStatus, TBody, TValue}"/>), and a <c>Retry-After</c> header. As a case of
/// <c>Results&lt;…&gt;</c> it puts its status and body type into the endpoint's metadata, which
/// the API description is generated from. The bytes written are those of
/// <c>TypedResults.Json(value, statusCode: status)</c>.
/// </summary>
public sealed class Answer<TStatus, TBody> : IResult, IEndpointMetadataProvider, IStatusCodeHttpResult, IValueHttpResult
    where TStatus : IHttpStatus
    where TBody : notnull
{
    private readonly IResult _json;
    private readonly int? _retryAfterSeconds;

    public Answer(TBody value, int? retryAfterSeconds = null)
        : this(value, TypedResults.Json(value, statusCode: TStatus.Code), retryAfterSeconds)
    {
    }

    internal Answer(object value, IResult json, int? retryAfterSeconds)
    {
        Value = value;
        _json = json;
        _retryAfterSeconds = retryAfterSeconds;
    }

    public object Value { get; }

    public int? StatusCode => TStatus.Code;

    public Task ExecuteAsync(HttpContext httpContext)
    {
        if (_retryAfterSeconds is { } seconds)
        {
            httpContext.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        return _json.ExecuteAsync(httpContext);
    }

    static void IEndpointMetadataProvider.PopulateMetadata(MethodInfo method, EndpointBuilder builder) =>
        builder.Metadata.Add(new ProducesResponseTypeMetadata(TStatus.Code, typeof(TBody), [ApiResponses.JsonContentType]));
}

/// <summary>Builds an <see cref="Answer{TStatus, TBody}"/> whose body is one of several.</summary>
public static class Answer
{
    /// <summary>
    /// <paramref name="value"/> as the body of an answer described as <typeparamref name="TBody"/>
    /// (an AnyOf): it must be one of its members, else this throws (the description would lie).
    /// Written with <typeparamref name="TValue"/>'s own contract.
    /// </summary>
    public static Answer<TStatus, TBody> OneOf<TStatus, TBody, TValue>(TValue value)
        where TStatus : IHttpStatus
        where TBody : notnull
        where TValue : notnull
    {
        if (!Fits<TBody, TValue>.Value)
        {
            throw new InvalidOperationException($"A {typeof(TValue).Name} is not one of the bodies {typeof(TBody).Name} describes.");
        }

        return new Answer<TStatus, TBody>(value, TypedResults.Json(value, statusCode: TStatus.Code), retryAfterSeconds: null);
    }

    private static class Fits<TBody, TValue>
    {
        public static readonly bool Value = AnyOfTypes.Members(typeof(TBody)).Any(member => member.IsAssignableFrom(typeof(TValue)));
    }
}
