using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Json.Schema;

namespace PaySessions.Tests.Infrastructure;

/// <summary>
/// The generated OpenAPI document of a host, read as a contract: which operations exist (method
/// and route template), which statuses each answers, and the JSON schema of each body. Every
/// response a test receives through <see cref="TestHost.Http"/> is checked against it by
/// <see cref="ApiContractHandler"/>.
/// </summary>
public sealed partial class ApiContract
{
    public const string DocumentPath = "/openapi/v1.json";

    /// <summary>
    /// Routes that are not part of the API description (pages and scripts for browsers, the
    /// operators' dashboard, health, the description itself): their responses are not checked.
    /// </summary>
    public static readonly IReadOnlyList<string> ExcludedPrefixes =
        ["/pay/", "/sdk/", "/sandbox/", "/dashboard", "/health/", "/openapi/", "/docs"];

    /// <summary>
    /// Refusals Kestrel writes before any of the application runs (a request line or header
    /// section beyond its own limits, a malformed request): a bare status with no body, which no
    /// description of the application can change. Only these statuses, and only with no body.
    /// </summary>
    public static readonly IReadOnlySet<int> BareServerRefusals = new HashSet<int> { 400, 408, 413, 414, 431, 505 };

    private static readonly EvaluationOptions Evaluation = new() { OutputFormat = OutputFormat.List };

    private readonly List<Operation> _operations;
    private readonly JsonObject _components;
    private readonly ConcurrentDictionary<string, JsonSchema> _schemas = new();

    private ApiContract(JsonObject document)
    {
        // Component references become references into $defs of each response schema built below.
        _components = (JsonObject?)document["components"]?["schemas"]?.DeepClone() ?? [];
        _operations = [];
        foreach (var (path, item) in (JsonObject?)document["paths"] ?? [])
        {
            foreach (var (method, operation) in (JsonObject)item!)
            {
                if (operation is not JsonObject op || method is "parameters" or "servers" or "summary" or "description")
                {
                    continue;
                }

                var responses = new Dictionary<int, JsonNode?>();
                foreach (var (status, response) in (JsonObject?)op["responses"] ?? [])
                {
                    responses[int.Parse(status, System.Globalization.CultureInfo.InvariantCulture)] =
                        response?["content"]?["application/json"]?["schema"]?.DeepClone();
                }

                _operations.Add(new Operation(method.ToUpperInvariant(), path, (string?)op["operationId"] ?? $"{method} {path}", responses));
            }
        }
    }

    public IReadOnlyList<Operation> Operations => _operations;

    public static ApiContract Parse(string json)
    {
        var text = json.Replace("\"#/components/schemas/", "\"#/$defs/", StringComparison.Ordinal);
        return new ApiContract((JsonObject)JsonNode.Parse(text)!);
    }

    public static bool IsExcluded(string path) =>
        ExcludedPrefixes.Any(prefix => path.StartsWith(prefix, StringComparison.Ordinal) || path == prefix.TrimEnd('/'));

    /// <summary>The documented operation for a method and path (the most literal template that matches), if any.</summary>
    public Operation? Find(string method, string path) =>
        Candidates(path).FirstOrDefault(o => o.Method == method);

    /// <summary>
    /// Null when the response is what the document says; otherwise a message naming the
    /// operation, the status and what is wrong, for the lead to add to the description.
    /// </summary>
    /// <param name="unknownPathsAreTheTests">
    /// The host has routes of the test's own (<c>TestHost.StartAsync(map: …)</c>), which are not
    /// in the description: a path no operation matches is the test's, and not checked.
    /// </param>
    public string? Check(string method, string path, int status, string? mediaType, string body, bool unknownPathsAreTheTests = false)
    {
        if (IsExcluded(path))
        {
            return null;
        }

        if (body.Length == 0 && BareServerRefusals.Contains(status) && mediaType is null)
        {
            return null;
        }

        var candidates = Candidates(path).ToList();
        if (candidates.Count == 0 && unknownPathsAreTheTests)
        {
            return null;
        }

        var operation = candidates.FirstOrDefault(o => o.Method == method);
        if (operation is null)
        {
            // No operation for this method: the path's other operations document the 405 the
            // routing answers; with no route at all, the 404 (and pre-routing refusals) are in the
            // service's default shape, the Payviox {"error":"…"}.
            if (candidates.Count > 0 && status == (int)HttpStatusCode.MethodNotAllowed)
            {
                return CheckBody(candidates[0], status, mediaType, body, $"{method} {path} (another method on {candidates[0].Path})");
            }

            // Refused before any route was chosen (no route, or none for this method): 414 and 431
            // by the size limits, 400 by Kestrel; with no route at all, 404.
            if ((candidates.Count == 0 && status == 404) || status is 400 or 414 or 431)
            {
                return CheckAgainst(DefaultErrorSchema(), $"no route: {method} {path}", status, mediaType, body);
            }

            return $"{method} {path} answered {status}, but the API description has no operation {method} for this path"
                + (candidates.Count > 0 ? $" (it has {string.Join(", ", candidates.Select(c => c.Method + " " + c.Path))})" : "")
                + ". Describe the route (map it on the API group in ApiSetup, its handler returning typed results: Results<Ok<T>, NotFound<E>, …>) or, if it is no API route, exclude it from the description and add it to ApiContract.ExcludedPrefixes.";
        }

        return CheckBody(operation, status, mediaType, body, $"{operation.Id} ({operation.Method} {operation.Path})");
    }

    private string? CheckBody(Operation operation, int status, string? mediaType, string body, string name)
    {
        if (!operation.Responses.TryGetValue(status, out var schema))
        {
            return $"{name} answered {status}, which the API description does not list for it (it lists {string.Join(", ", operation.Responses.Keys.Order())}). "
                + $"Body: {Shorten(body)}. Add it to the handler's typed result (a case of its Results<…>); only for an answer of a filter, .AnswersErrors({status}) on the route, or the shared status to ApiResponses.SharedStatuses.";
        }

        return schema is null
            ? (body.Length == 0 ? null : $"{name} answered {status} with a body, but the API description documents no JSON body for it. Body: {Shorten(body)}")
            : CheckAgainst(Compile(operation, status, schema), name, status, mediaType, body);
    }

    private static string? CheckAgainst(JsonSchema schema, string name, int status, string? mediaType, string body)
    {
        if (mediaType is null || !mediaType.Contains("json", StringComparison.OrdinalIgnoreCase))
        {
            return $"{name} answered {status} with content type '{mediaType}', but the API description says application/json. Body: {Shorten(body)}";
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body);
        }
        catch (JsonException e)
        {
            return $"{name} answered {status} with a body that is not JSON ({e.Message}): {Shorten(body)}";
        }

        using (document)
        {
            var result = schema.Evaluate(document.RootElement, Evaluation);
            if (result.IsValid)
            {
                return null;
            }

            var problems = (result.Details ?? [])
                .Where(d => d.Errors is { Count: > 0 })
                .SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation} ({d.EvaluationPath}): {e.Key}: {e.Value}"))
                .Take(8);
            return $"{name} answered {status} with a body the API description does not allow: {string.Join("; ", problems)}. Body: {Shorten(body)}";
        }
    }

    private JsonSchema Compile(Operation operation, int status, JsonNode schema) =>
        _schemas.GetOrAdd($"{operation.Method} {operation.Path} {status}", _ => Build(schema));

    private JsonSchema DefaultErrorSchema() =>
        _schemas.GetOrAdd("default error", _ => Build(new JsonObject { ["$ref"] = "#/$defs/ApiErrorsErrorBody" }));

    private JsonSchema Build(JsonNode schema)
    {
        var root = new JsonObject
        {
            ["$schema"] = "https://json-schema.org/draft/2020-12/schema",
            ["$defs"] = _components.DeepClone(),
            ["allOf"] = new JsonArray(schema.DeepClone()),
        };
        return JsonSchema.FromText(root.ToJsonString(), baseUri: new Uri($"https://paysessions.test/contract/{Guid.NewGuid():N}"));
    }

    private IEnumerable<Operation> Candidates(string path)
    {
        var normalized = path.Length > 1 ? path.TrimEnd('/') : path;
        return _operations.Where(o => o.Matches(normalized)).OrderByDescending(o => o.LiteralSegments);
    }

    private static string Shorten(string body) => body.Length <= 400 ? body : body[..400] + "…";

    public sealed partial class Operation(string method, string path, string id, IReadOnlyDictionary<int, JsonNode?> responses)
    {
        private readonly Regex _template = new(
            "^" + Parameter().Replace(Regex.Escape(path).Replace("\\{", "{", StringComparison.Ordinal), "[^/]+") + "$",
            RegexOptions.CultureInvariant);

        public string Method { get; } = method;

        public string Path { get; } = path;

        public string Id { get; } = id;

        public IReadOnlyDictionary<int, JsonNode?> Responses { get; } = responses;

        public int LiteralSegments { get; } = path.Split('/', StringSplitOptions.RemoveEmptyEntries).Count(s => !s.StartsWith('{'));

        public bool Matches(string requestPath) => _template.IsMatch(requestPath);

        [GeneratedRegex("{[^}/]+}")]
        private static partial Regex Parameter();
    }
}

/// <summary>Thrown into the test whose request got a response the API description does not allow.</summary>
public sealed class ApiContractViolationException(string message) : Exception(message);

/// <summary>
/// Sits under a host's <see cref="HttpClient"/>: reads the host's own <c>/openapi/v1.json</c> on
/// first use, then checks each response (status and JSON body) against it, and throws
/// <see cref="ApiContractViolationException"/> into the test that sent the request when it does not fit.
/// The body is buffered first, so the test still reads it as usual.
/// </summary>
public sealed class ApiContractHandler(Uri baseAddress, HttpMessageHandler inner, bool hostHasRoutesOfTheTest = false) : DelegatingHandler(inner)
{
    public ApiContractHandler(Uri baseAddress, bool hostHasRoutesOfTheTest = false)
        : this(baseAddress, new HttpClientHandler(), hostHasRoutesOfTheTest)
    {
    }

    private readonly Lazy<Task<ApiContract>> _contract = new(() => Load(baseAddress));

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var response = await base.SendAsync(request, cancellationToken);
        var uri = request.RequestUri!;
        // A CORS preflight is the browser's protocol with the CORS middleware, not an API operation.
        var preflight = request.Method == HttpMethod.Options && request.Headers.Contains("Access-Control-Request-Method");
        if (uri.Authority != baseAddress.Authority || ApiContract.IsExcluded(uri.AbsolutePath) || preflight)
        {
            return response;
        }

        await response.Content.LoadIntoBufferAsync(cancellationToken);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        var contract = await _contract.Value;
        if (contract.Check(request.Method.Method, uri.AbsolutePath, (int)response.StatusCode, response.Content.Headers.ContentType?.MediaType, body, hostHasRoutesOfTheTest) is { } problem)
        {
            response.Dispose();
            throw new ApiContractViolationException("The response does not match the API description (" + ApiContract.DocumentPath + "): " + problem);
        }

        return response;
    }

    private static async Task<ApiContract> Load(Uri baseAddress)
    {
        using var client = new HttpClient { BaseAddress = baseAddress };
        return ApiContract.Parse(await client.GetStringAsync(ApiContract.DocumentPath));
    }
}
