using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using FsCheck;
using FsCheck.Fluent;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using PaySessions.Grains.Sessions;
using PaySessions.Api.OpenApi;
using PaySessions.Tests.Infrastructure;

namespace PaySessions.Tests.Api;

/// <summary>
/// Whatever arrives (bodies that are not JSON, JSON that cannot be decoded, headers that are too
/// long or nonsense), every endpoint answers a documented 4xx in its shape, never a 5xx, and
/// writes nothing. The endpoints are read from the running app, so a new route is covered the
/// day it is mapped.
/// </summary>
public sealed class HostileRequestTests(HostileRequestTests.Host host) : IClassFixture<HostileRequestTests.Host>
{
    private readonly ApiFixture _api = host.Api;

    /// <summary>
    /// A host of its own: the property presents hundreds of bad keys from one address, which would
    /// throttle that address for other test classes; here the throttle is set out of reach.
    /// </summary>
    public sealed class Host : IAsyncLifetime
    {
        public ApiFixture Api { get; } = new();

        public Task InitializeAsync() => Api.InitializeWith(new Dictionary<string, string?> { ["PaySessions:RateLimits:FailedAuthPerIp:Limit"] = "1000000" });

        public NpgsqlDataSource Database => _database ??= NpgsqlDataSource.Create(Api.Host.ConnectionString);

        private NpgsqlDataSource? _database;

        public async Task DisposeAsync()
        {
            if (_database is not null)
            {
                await _database.DisposeAsync();
            }

            await Api.DisposeAsync();
        }
    }

    // Two such values together pass the API's 16 KiB header limit (a JSON 431) while staying under
    // Kestrel's own 32 KiB, beyond which Kestrel answers before any middleware can.
    private const int OversizeValue = 9_000;

    private const string InvalidJson = """{"body":["The request body must be valid JSON."]}""";

    [Theory]
    [InlineData("/session")]
    [InlineData("/session/{id}/pay")]
    public async Task An_escaped_lone_surrogate_as_a_key_or_a_value_is_invalid_json(string route)
    {
        var path = route.Replace("{id}", await DevSession(), StringComparison.Ordinal);
        string[] bodies =
        [
            """{"\ud800":1}""",
            """{"\udfff":"x","paymentMethodId":"sandbox_card"}""",
            """{"paymentMethodId":"\ud800"}""",
            """{"paymentMethodId":"sandbox_card","x":["\ude00"]}""",
            Bodies.SeedExample().ToJsonString().Replace("\"plan\"", "\"pl\\udbffan\"", StringComparison.Ordinal),
            Bodies.SeedExample().ToJsonString().Replace("\"customer_", "\"\\ud800customer_", StringComparison.Ordinal),
        ];

        foreach (var body in bodies)
        {
            var response = await _api.Post(path, ApiFixture.DevSecretKey, body);

            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Equal(InvalidJson, await response.Content.ReadAsStringAsync());
        }
    }

    [Theory]
    [InlineData(0x80)]
    [InlineData(0xC0)]
    [InlineData(0xFF)]
    [InlineData(0xED)]
    public async Task A_raw_invalid_utf8_byte_in_a_metadata_key_is_invalid_json_and_writes_nothing(byte invalid)
    {
        var body = Bodies.SeedExample();
        var orderId = body["order_id"]!.GetValue<string>();
        var bytes = Encoding.UTF8.GetBytes(body.ToJsonString());
        var at = IndexOf(bytes, "\"plan\"") + 3;
        var hostile = bytes[..at].Append(invalid).Concat(bytes[at..]).ToArray();

        var response = await PostBytes("/session", ApiFixture.DevSecretKey, hostile);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(InvalidJson, await response.Content.ReadAsStringAsync());
        Assert.Equal(0, await _api.SessionRows(ApiFixture.DevBusiness, orderId));
    }

    [Fact]
    public async Task Property_names_equal_once_unescaped_are_duplicates()
    {
        var body = Bodies.SeedExample().ToJsonString().Replace("\"metadata\":{", "\"metadata\":{\"pl\\u0061n\":\"basic\",", StringComparison.Ordinal);

        var response = await _api.Post("/session", ApiFixture.DevSecretKey, body);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(InvalidJson, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_utf8_byte_order_mark_before_valid_json_is_accepted()
    {
        var bytes = new byte[] { 0xEF, 0xBB, 0xBF }.Concat(Encoding.UTF8.GetBytes(Bodies.SeedExample().ToJsonString())).ToArray();

        var response = await PostBytes("/session", ApiFixture.DevSecretKey, bytes);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }

    [Fact]
    public async Task A_signed_looking_provider_webhook_that_cannot_be_decoded_is_a_400()
    {
        var response = await PostBytes("/webhooks/sandbox", null, Encoding.UTF8.GetBytes("""{"type":"payment.succeeded","reference":"\ud800"}"""));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("""{"error":"Malformed webhook"}""", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Unmatched_routes_wrong_methods_and_oversized_requests_answer_a_json_error()
    {
        var notFound = await _api.Get("/nowhere", null);
        var wrongMethod = await _api.Send(HttpMethod.Delete, "/session", ApiFixture.DevSecretKey, null);
        var longUrl = await _api.Get("/session/" + new string('a', 5000), ApiFixture.DevSecretKey);
        var longHeader = await _api.Send(HttpMethod.Get, "/session", null, null, r => r.Headers.TryAddWithoutValidation("X-Filler", new string('h', 20_000)));

        Assert.Equal((HttpStatusCode.NotFound, """{"error":"Not found"}"""), (notFound.StatusCode, await notFound.Content.ReadAsStringAsync()));
        Assert.Equal((HttpStatusCode.MethodNotAllowed, """{"error":"Method not allowed"}"""), (wrongMethod.StatusCode, await wrongMethod.Content.ReadAsStringAsync()));
        Assert.Equal((HttpStatusCode.RequestUriTooLong, """{"error":"URI too long"}"""), (longUrl.StatusCode, await longUrl.Content.ReadAsStringAsync()));
        Assert.Equal((HttpStatusCode.RequestHeaderFieldsTooLarge, """{"error":"Request headers too large"}"""), (longHeader.StatusCode, await longHeader.Content.ReadAsStringAsync()));
    }

    /// <summary>A request as FsCheck builds it: a route of the app, a method, a body and headers.</summary>
    public sealed record Attempt(string Method, string Route, byte[]? Body, string? Authorization, string? ContentType, IReadOnlyList<(string Name, string Value)> Headers, string Query)
    {
        public override string ToString() =>
            $"{Method} {Route}{(Query.Length > 40 ? Query[..40] + "…" : Query)} auth={Shorten(Authorization)} type={Shorten(ContentType)} headers=[{string.Join(", ", Headers.Select(h => h.Name + ":" + Shorten(h.Value)))}] body={(Body is null ? "none" : Shorten(Encoding.UTF8.GetString(Body)) + $" ({Body.Length} bytes)")}";

        private static string Shorten(string? text) => text is null ? "none" : text.Length > 60 ? text[..60] + "…" : text;
    }

    [Fact]
    public async Task Any_hostile_body_or_header_on_any_endpoint_is_a_documented_4xx_that_writes_nothing()
    {
        var foreignSession = await ForeignSession();
        var other = await _api.NewBusiness("Hostile Bystander");
        var routes = Routes();
        Assert.Contains(routes, r => r.Route == "/session" && r.Method == "POST");
        Assert.Contains(routes, r => r.Route == "/session/{id}/pay");
        Assert.Contains(routes, r => r.Route == "/webhooks/{provider}");
        Assert.Contains(routes, r => r.Route == "/sessions/{payment_session_id}/cancel");
        Assert.Contains(routes, r => r.Route == "/pay/{session_id}" && r.Method == "POST");

        var attempts = Arb.From(
            from route in Gen.Elements(routes.ToArray())
            from body in Gen.Frequency((1, Gen.Constant<byte[]?>(null)), (6, HostileBody().Select(b => (byte[]?)b)))
            from authorization in Gen.Frequency(
                (6, Gen.Elements(ApiFixture.DevPublicKey, ApiFixture.DevSecretKey, other.SecretKey, other.PublicKey).Select(k => (string?)("Bearer " + k))),
                (1, Gen.Constant<string?>(null)),
                (2, Gen.Elements(ApiFixture.DevPublicKey, ApiFixture.DevSecretKey, other.SecretKey).Select(k => (string?)("Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes(k + ":"))))),
                (1, Printable(0, 80).Select(s => (string?)("Bearer " + s))),
                (1, Printable(0, 80).Select(s => (string?)s)),
                (1, Gen.Constant<string?>("Bearer sk_test_" + new string('x', OversizeValue))))
            from contentType in Gen.OneOf(
                Gen.Elements<string?>(null, "application/json", "text/plain", "application/x-www-form-urlencoded", "application/json; charset=utf-16", "multipart/form-data; boundary=x"),
                Printable(0, 60).Select(s => (string?)s))
            from headerCount in Gen.Choose(0, 2)
            from headers in Gen.ArrayOf(HostileHeader(), headerCount)
            from query in Gen.Frequency((6, Gen.Elements("", "?a=1", "?%ff%fe=%00")), (1, Gen.Constant("?" + new string('q', 5000))))
            select new Attempt(route.Method, Fill(route.Route, foreignSession), body, authorization, contentType, headers.ToList(), query));

        var property = Prop.ForAll(attempts, attempt => Task.Run(() => Holds(attempt)).GetAwaiter().GetResult());

        Check.One(Config.QuickThrowOnFailure.WithMaxTest(400), property);
    }

    private async Task<bool> Holds(Attempt attempt)
    {
        var rowsBefore = await Rows();
        using var request = new HttpRequestMessage(new HttpMethod(attempt.Method), new Uri(attempt.Route + attempt.Query, UriKind.Relative));
        if (attempt.Authorization is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", attempt.Authorization);
        }

        foreach (var (name, value) in attempt.Headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        if (attempt.Body is not null)
        {
            request.Content = new ByteArrayContent(attempt.Body);
            if (attempt.ContentType is not null)
            {
                request.Content.Headers.TryAddWithoutValidation("Content-Type", attempt.ContentType);
            }
        }

        using var response = await _api.Host.Http.SendAsync(request);
        var status = (int)response.StatusCode;
        var text = await response.Content.ReadAsStringAsync();
        var media = response.Content.Headers.ContentType?.MediaType;

        Assert.True(status < 500, $"{status} {text} for {attempt}");
        Assert.Equal(rowsBefore, await Rows());
        if (attempt.Route.StartsWith("/health/", StringComparison.Ordinal) && status == 200)
        {
            return true;
        }

        if (attempt.Route == "/sdk/payviox.js" && attempt.Method == "GET" && status is 200 or 304)
        {
            // The browser SDK is a public static file, served to anyone.
            Assert.True(status == 304 || media == "text/javascript", $"{status} {media} for {attempt}");
            return true;
        }

        if ((attempt.Route == ApiDescription.DocumentPath || attempt.Route.StartsWith(ApiDescription.ReferencePath, StringComparison.Ordinal))
            && attempt.Method == "GET" && status is 200 or 304)
        {
            // The API description and its reference (Scalar's page and bundled assets) are public.
            return true;
        }

        if (attempt.Route.StartsWith("/pay/", StringComparison.Ordinal) && attempt.Method == "GET" && status == 200)
        {
            // The hosted payment page of a real session is shown to whoever holds its id.
            Assert.Equal("text/html", media);
            return true;
        }

        if (attempt.Route is "/payments/methods" or "/session" or "/sessions" && attempt.Method == "GET" && status == 200)
        {
            // The caller's own method list or session list: a read that takes no body and ignores
            // unknown query parameters, so a valid key gets it whatever else was sent.
            Assert.Equal("application/json", media);
            Assert.True(JsonNode.Parse(text) is JsonObject, text);
            return true;
        }

        Assert.True(status >= 400, $"{status} {text} for {attempt}");
        if ((attempt.Route.StartsWith("/sandbox/", StringComparison.Ordinal) || attempt.Route.StartsWith("/pay/", StringComparison.Ordinal)) && media == "text/html")
        {
            // The sandbox checkout and the hosted page are for a browser: their refusals are pages too.
            Assert.Contains("<h1", text, StringComparison.Ordinal);
            return true;
        }

        Assert.True(media == "application/json", $"{status} {media} '{text}' for {attempt}");
        var documented = attempt.Route.StartsWith("/sessions", StringComparison.Ordinal)
            ? IsXenditErrorShape(JsonNode.Parse(text))
            : IsDocumentedErrorShape(status, JsonNode.Parse(text));
        Assert.True(documented, $"{status} {text} for {attempt}");
        return true;
    }

    // {"error":"…"}; the 429 shape {"error","message","type","retry_after"}; or, for a 400, the
    // field errors {"field":["message", …], …}.
    private static bool IsDocumentedErrorShape(int status, JsonNode? body)
    {
        if (body is not JsonObject json || json.Count == 0)
        {
            return false;
        }

        if (json["error"] is JsonValue error && error.GetValueKind() == JsonValueKind.String)
        {
            return status != 429
                ? json.Count == 1
                : json.Count == 4 && json["retry_after"]?.GetValueKind() == JsonValueKind.Number;
        }

        return status == 400 && json.All(p => p.Value is JsonArray { Count: > 0 } messages && messages.All(m => m?.GetValueKind() == JsonValueKind.String));
    }

    // The Xendit dialect's {"error_code","message"}, with "errors":[{"message","path"}] for API_VALIDATION_ERROR.
    private static bool IsXenditErrorShape(JsonNode? body) =>
        body is JsonObject json
        && json["error_code"]?.GetValueKind() == JsonValueKind.String
        && json["message"]?.GetValueKind() == JsonValueKind.String
        && json.All(p => p.Key is "error_code" or "message" || (p.Key == "errors" && p.Value is JsonArray { Count: > 0 }));

    private List<(string Method, string Route)> Routes()
    {
        var endpoints = _api.Host.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>();
        var routes = new List<(string, string)>();
        foreach (var endpoint in endpoints)
        {
            var methods = endpoint.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? ["GET", "POST"];
            foreach (var method in methods)
            {
                routes.Add((method, "/" + endpoint.RoutePattern.RawText!.Trim('/')));
            }
        }

        return routes;
    }

    // Route values that reach the handlers: a real session (of another business than the dev
    // keys', so nothing the dev keys do can change it), a configured provider, a well-formed reference.
    private static string Fill(string route, string sessionId) => route
        .Replace("{id}", sessionId, StringComparison.Ordinal)
        .Replace("{payment_session_id}", sessionId, StringComparison.Ordinal)
        .Replace("{session_id}", sessionId, StringComparison.Ordinal)
        .Replace("{provider}", "sandbox", StringComparison.Ordinal)
        .Replace("{reference}", "sbx_" + new string('0', 24), StringComparison.Ordinal);

    private static Gen<string> Printable(int min, int max) =>
        from length in Gen.Choose(min, max)
        from chars in Gen.ArrayOf(Gen.Choose(0x20, 0x7E).Select(c => (char)c), length)
        select new string(chars);

    private static Gen<(string, string)> HostileHeader() =>
        from name in Gen.Elements("X-Forwarded-For", "for-user-id", "Content-Length-Ish", "Cookie", "X-Forwarded-Proto", "Accept", "Idempotency-Key", "Webhook-Signature", "Transfer-Coding")
        from value in Gen.OneOf(
            Printable(0, 100),
            Gen.Elements("1.2.3.4, ::1", "unknown", "999.999.999.999", "t=1,v1=00", "t=99999999999,v1=" + new string('a', 64), new string('v', OversizeValue)))
        select (name, value);

    /// <summary>Bytes no endpoint should accept as a valid request body.</summary>
    private static Gen<byte[]> HostileBody()
    {
        var seed = Bodies.SeedExample().ToJsonString();
        var surrogate = Gen.Choose(0xD800, 0xDFFF).Select(c => $"\\u{c:x4}");
        var utf8 = (string s) => Encoding.UTF8.GetBytes(s);
        return Gen.OneOf(
            ArbMap.Default.GeneratorFor<byte[]>(),
            surrogate.Select(s => utf8($"{{\"{s}\":1}}")),
            surrogate.Select(s => utf8(seed.Replace("\"plan\"", $"\"pl{s}an\"", StringComparison.Ordinal))),
            surrogate.Select(s => utf8(seed.Replace("\"premium\"", $"\"prem{s}ium\"", StringComparison.Ordinal))),
            surrogate.Select(s => utf8($"{{\"paymentMethodId\":\"sandbox_card{s}\"}}")),
            from invalid in Gen.Elements<byte>(0x80, 0xBF, 0xC0, 0xC1, 0xF5, 0xFF, 0xED)
            from at in Gen.Choose(0, seed.Length)
            select utf8(seed[..at]).Append(invalid).Concat(utf8(seed[at..])).ToArray(),
            Gen.Elements("amount", "currency", "customer", "order_id", "items", "metadata", "paymentMethodId")
                .Select(key => utf8(seed.TrimEnd('}') + $",\"{string.Concat(key.Select(c => $"\\u{(int)c:x4}"))}\":1}}")),
            Gen.Choose(65, 3000).Select(depth => utf8(string.Concat(Enumerable.Repeat("{\"a\":[", depth)) + "1" + string.Concat(Enumerable.Repeat("]}", depth)))),
            Gen.Elements("1e400", "123456789012345678901234567890123456789", "-0", "1E+99999", "0.000000000000000000000000000001")
                .Select(n => utf8(seed.Replace("\"amount\":10000", "\"amount\":" + n, StringComparison.Ordinal).Replace("\"quantity\":1", "\"quantity\":" + n, StringComparison.Ordinal))),
            Printable(0, 200).Select(s => utf8(s)),
            Gen.Elements("", "[]", "\"x\"", "1", "null", "{", "{\"a\":1}}", "{\"a\":1,}", "{/*c*/}", "\uFEFF\uFEFF{}").Select(s => utf8(s)),
            Gen.Choose(1, seed.Length - 1).Select(n => utf8(seed[..n])),
            Gen.Constant(Encoding.Unicode.GetPreamble().Concat(Encoding.Unicode.GetBytes(seed)).ToArray()),
            Gen.Constant(new byte[] { 0xEF, 0xBB, 0xBF }.Concat(utf8("{\"\\udc00\":1}")).ToArray()));
    }

    private async Task<long> Rows()
    {
        await using var command = host.Database.CreateCommand(
            """
            SELECT (SELECT count(*) FROM sessions) + (SELECT count(*) FROM session_events)
                 + (SELECT count(*) FROM provider_references) + (SELECT count(*) FROM webhook_deliveries)
                 + (SELECT count(*) FROM webhook_attempts) + (SELECT count(*) FROM customers)
            """);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private async Task<string> ForeignSession()
    {
        var id = TestSessions.NewId();
        var created = await _api.Host.Grains.GetGrain<IPaymentSessionGrain>(id).Create(TestSessions.Command(TestSessions.NewBusiness()) with { ClientIp = null });
        Assert.True(created.IsCreated);
        return id;
    }

    private async Task<string> DevSession()
    {
        var response = await _api.Post("/session", ApiFixture.DevSecretKey, Bodies.SeedExample().ToJsonString());
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await Bodies.Json(response))["session_id"]!.GetValue<string>();
    }

    private async Task<HttpResponseMessage> PostBytes(string path, string? key, byte[] body) =>
        await _api.Send(HttpMethod.Post, path, key, null, request =>
        {
            request.Content = new ByteArrayContent(body);
            request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        });

    private static int IndexOf(byte[] bytes, string text)
    {
        var needle = Encoding.UTF8.GetBytes(text);
        return bytes.AsSpan().IndexOf(needle);
    }
}
