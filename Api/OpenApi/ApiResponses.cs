using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Metadata;
using PaySessions.Api.Http;

namespace PaySessions.Api.OpenApi;

/// <summary>
/// What each API route answers, as endpoint metadata the OpenAPI document is generated from. A
/// route declares its own answers (<see cref="Answers{T}"/> for a body of its own,
/// <see cref="AnswersErrors"/> for the error statuses its handler gives), and the
/// <see cref="AddSharedResponses"/> convention adds the statuses that shared filters and
/// middleware may answer on it, each with the body of the route's <see cref="ErrorShape"/>:
/// <list type="bullet">
/// <item>every route: 405 (another method on the path), 414, 431, 500, 503 (with <c>Retry-After</c>);</item>
/// <item>a route that takes a merchant key: 401, and 429 (too many failed keys from one address);</item>
/// <item>a route that reads a JSON body (<see cref="WithJsonBody{T}"/>, <see cref="AcceptsJson{T}"/>): 400 and 413.</item>
/// </list>
/// The test suite checks every response it receives against the document, so a status missing
/// here fails the test that met it.
/// </summary>
public static class ApiResponses
{
    public const string JsonContentType = "application/json";

    /// <summary>The route answers <paramref name="status"/> with a <typeparamref name="T"/> body.</summary>
    public static RouteHandlerBuilder Answers<T>(this RouteHandlerBuilder builder, int status) =>
        builder.WithMetadata(new ProducesResponseTypeMetadata(status, typeof(T), [JsonContentType]));

    /// <summary>
    /// The route's handler answers these error statuses in the route's error shape (a 404 of the
    /// owner check, a 409 of a closed session, …); the body type is the shape's
    /// (<see cref="ErrorShape.BodyTypeFor"/>), resolved once the route's groups are known.
    /// </summary>
    public static TBuilder AnswersErrors<TBuilder>(this TBuilder builder, params int[] statuses)
        where TBuilder : IEndpointConventionBuilder => builder.WithMetadata(new DocumentedErrors(statuses));

    /// <summary>
    /// The route reads a JSON object body through <see cref="JsonRequestBody"/>; <typeparamref name="T"/>
    /// describes it (the handler itself reads the raw document, so that every field error is its own).
    /// </summary>
    public static RouteHandlerBuilder WithJsonBody<T>(this RouteHandlerBuilder builder)
        where T : notnull =>
        builder.AddEndpointFilter<JsonRequestBody>().AcceptsJson<T>();

    /// <summary>
    /// The route reads a JSON body of its own (not through <see cref="JsonRequestBody"/>), described
    /// by <typeparamref name="T"/>. Not <c>Accepts&lt;T&gt;</c>: that metadata makes routing refuse
    /// other content types with 415, and the API reads the body whatever its declared type.
    /// </summary>
    public static RouteHandlerBuilder AcceptsJson<T>(this RouteHandlerBuilder builder)
        where T : notnull =>
        builder.WithMetadata(new ReadsJsonBody(typeof(T)));

    /// <summary>
    /// Adds the shared answers to every endpoint of <paramref name="builder"/> (a route group),
    /// after all of its conventions, so that the route's error shape and auth are known.
    /// </summary>
    public static TBuilder AddSharedResponses<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder
    {
        builder.Finally(Describe);
        return builder;
    }

    /// <summary>The statuses every documented API route may answer whatever its handler does.</summary>
    public static IReadOnlyList<int> SharedStatuses(bool authorized, bool readsBody)
    {
        List<int> statuses =
        [
            StatusCodes.Status405MethodNotAllowed,
            StatusCodes.Status414UriTooLong,
            StatusCodes.Status431RequestHeaderFieldsTooLarge,
            StatusCodes.Status500InternalServerError,
            StatusCodes.Status503ServiceUnavailable,
        ];
        if (authorized)
        {
            statuses.Add(StatusCodes.Status401Unauthorized);
            statuses.Add(StatusCodes.Status429TooManyRequests);
        }

        if (readsBody)
        {
            // Kestrel's refusals of a body it cannot read (a bad chunk, a length that lies) are 400 too.
            statuses.Add(StatusCodes.Status400BadRequest);
            statuses.Add(StatusCodes.Status413PayloadTooLarge);
        }

        return statuses;
    }

    /// <summary>Whether the endpoint takes a merchant key (the default policy, as the key handler reads it).</summary>
    public static bool TakesMerchantKey(IEnumerable<object> metadata) =>
        metadata.OfType<IAuthorizeData>().Any(rule => rule.Policy is null && rule.AuthenticationSchemes is null)
        && !metadata.OfType<IAllowAnonymous>().Any();

    private static void Describe(EndpointBuilder endpoint)
    {
        var metadata = endpoint.Metadata;
        metadata.Add(DescribedRoute.Instance);
        var shape = metadata.OfType<ErrorShape>().LastOrDefault() ?? ErrorShapes.Default;
        var documented = metadata.OfType<IProducesResponseTypeMetadata>().Select(p => p.StatusCode).ToHashSet();
        var errors = SharedStatuses(TakesMerchantKey(metadata), metadata.OfType<ReadsJsonBody>().Any())
            .Concat(metadata.OfType<DocumentedErrors>().SelectMany(d => d.Statuses))
            .ToList();
        foreach (var status in errors)
        {
            if (documented.Add(status))
            {
                metadata.Add(new ProducesResponseTypeMetadata(status, shape.BodyTypeFor(status), [JsonContentType]));
            }
        }
    }

    /// <summary>Error statuses a route's handler answers in the route's shape.</summary>
    public sealed record DocumentedErrors(IReadOnlyList<int> Statuses);

    /// <summary>Marks a route of the described API (one that got the shared answers): only these are in the document.</summary>
    public sealed class DescribedRoute
    {
        public static DescribedRoute Instance { get; } = new();
    }

    /// <summary>Marks a route that reads a JSON body (so it may answer 400 and 413).</summary>
    public sealed record ReadsJsonBody(Type Described);
}

/// <summary>For the API description only: a body that is one of these (see <see cref="ApiDescription"/>'s schema transformer).</summary>
public sealed class AnyOf<T1, T2>;

/// <inheritdoc cref="AnyOf{T1, T2}"/>
public sealed class AnyOf<T1, T2, T3>;
