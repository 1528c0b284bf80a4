using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Metadata;
using PaySessions.Api.Http;

namespace PaySessions.Api.OpenApi;

/// <summary>
/// What each API route answers, as endpoint metadata the OpenAPI document is generated from. A
/// route's own answers come from its handler's return type: a typed <c>Results&lt;…&gt;</c> whose
/// cases (<c>Ok&lt;T&gt;</c>, <c>NotFound&lt;T&gt;</c>, <see cref="Http.Answer{TStatus, TBody}"/>, …)
/// each add their status and body. What no handler returns is added here by hand: the
/// <see cref="AddSharedResponses"/> convention adds the statuses that shared filters and
/// middleware may answer on every route, each with the body of the route's <see cref="ErrorShape"/>:
/// <list type="bullet">
/// <item>every route: 405 (another method on the path), 414, 431, 500, 503 (with <c>Retry-After</c>);</item>
/// <item>a route that takes a merchant key: 401, and 429 (too many failed keys from one address);</item>
/// <item>a route that reads a JSON body (<see cref="WithJsonBody{T}"/>, <see cref="AcceptsJson{T}"/>): 400 and 413;</item>
/// <item>statuses a filter of the route's group answers (<see cref="AnswersErrors"/>: the
/// <c>for-user-id</c> filter's 403, the <c>Idempotency-Key</c> filter's 400, 409 and 422).</item>
/// </list>
/// A status both a handler and a filter answer is documented once, with either body
/// (<see cref="AnyOf{T1, T2}"/>). The test suite checks every response it receives against the
/// document, so a status missing here fails the test that met it.
/// </summary>
public static class ApiResponses
{
    public const string JsonContentType = "application/json";

    /// <summary>
    /// A filter of the route (or of its group) answers these error statuses in the route's error
    /// shape before the handler runs, so no return type can say them; the body type is the
    /// shape's (<see cref="ErrorShape.BodyTypeFor"/>), resolved once the route's groups are known.
    /// Never for what a handler answers: that is its typed result's to say.
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

        // Each status once, with every body anything on the route answers it with: the handler's
        // typed results first, then the shape's body for a status a filter or middleware answers.
        var bodies = new Dictionary<int, List<Type>>();
        void Add(int status, Type? type)
        {
            if (!bodies.TryGetValue(status, out var types))
            {
                bodies[status] = types = [];
            }

            foreach (var member in type is null ? Enumerable.Empty<Type>() : AnyOfTypes.Members(type))
            {
                if (!types.Contains(member))
                {
                    types.Add(member);
                }
            }
        }

        var produced = metadata.OfType<IProducesResponseTypeMetadata>().ToList();
        foreach (var answer in produced)
        {
            Add(answer.StatusCode, answer.Type);
        }

        foreach (var status in SharedStatuses(TakesMerchantKey(metadata), metadata.OfType<ReadsJsonBody>().Any())
            .Concat(metadata.OfType<DocumentedErrors>().SelectMany(d => d.Statuses)))
        {
            Add(status, shape.BodyTypeFor(status));
        }

        foreach (var answer in produced)
        {
            metadata.Remove(answer);
        }

        foreach (var (status, types) in bodies)
        {
            metadata.Add(new ProducesResponseTypeMetadata(status, types.Count == 0 ? null : AnyOfTypes.Of(types), [JsonContentType]));
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

/// <inheritdoc cref="AnyOf{T1, T2}"/>
public sealed class AnyOf<T1, T2, T3, T4>;

/// <summary>Reads and builds <see cref="AnyOf{T1, T2}"/> types.</summary>
public static class AnyOfTypes
{
    private static readonly Type[] Definitions = [typeof(AnyOf<,>), typeof(AnyOf<,,>), typeof(AnyOf<,,,>)];

    public static bool IsAnyOf(Type type) => type.IsGenericType && Definitions.Contains(type.GetGenericTypeDefinition());

    /// <summary>The bodies <paramref name="type"/> stands for: its members (flattened) for an AnyOf, else itself.</summary>
    public static IEnumerable<Type> Members(Type type) =>
        IsAnyOf(type) ? type.GetGenericArguments().SelectMany(Members).Distinct() : [type];

    /// <summary>One of <paramref name="types"/>: the type itself for one, an AnyOf for two to four.</summary>
    public static Type Of(IReadOnlyList<Type> types) => types.Count switch
    {
        1 => types[0],
        >= 2 and <= 4 => Definitions[types.Count - 2].MakeGenericType([.. types]),
        _ => throw new InvalidOperationException($"A status answered with {types.Count} kinds of body cannot be described; at most four."),
    };
}
