using System.Net;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using PaySessions.Api.Http;
using PaySessions.Api.Sessions;
using PaySessions.Api.Xendit;
using PaySessions.Tests.Infrastructure;

namespace PaySessions.Tests.Api;

/// <summary>
/// The shared error writers answer in the dialect of the route group a request is on. A host of
/// its own maps the service's real create and read under a group whose error shape is Xendit's
/// (and a Payviox-shaped twin for the faults), so the writers are the production ones: the body
/// filter, the size limits, the key check, the exception handler. What a handler answers itself
/// (the owner check's 404, a create's 429) is a typed result of its own dialect, part of its
/// route's type; those are tested on the real routes (XenditSessionRoutesTests, XenditCreateSessionTests).
/// </summary>
public sealed class ErrorShapePerRouteGroupTests(ErrorShapePerRouteGroupTests.Host host) : IClassFixture<ErrorShapePerRouteGroupTests.Host>
{
    private const string Xendit = "/test-xendit";
    private const string Payviox = "/test-payviox";

    private const string InvalidApiKey = """{"error_code":"INVALID_API_KEY","message":"API key is not authorized for this API"}""";

    private readonly ApiFixture _api = host.Api;

    /// <summary>
    /// A failed-key throttle out of reach (the bad-key tests present many from one address).
    /// </summary>
    public sealed class Host : IAsyncLifetime
    {
        public ApiFixture Api { get; } = new();

        public async Task InitializeAsync() => Api.Use(await TestHost.StartAsync(
            settings: new Dictionary<string, string?>
            {
                ["PaySessions:RateLimits:FailedAuthPerIp:Limit"] = "1000000",
            },
            map: app =>
            {
                // As Delegates: the route analyzer cannot read handlers of another assembly (it throws).
                Delegate create = CreateSessionEndpoint.Handle, read = GetSessionEndpoint.Handle;
                var xendit = app.MapGroup(Xendit).RequireAuthorization().WithErrorShape(XenditErrorShape.Instance);
                xendit.MapPost("/session", create).AddEndpointFilter<JsonRequestBody>();
                xendit.MapGet("/session/{id}", read);
                MapFaults(xendit);
                MapFaults(app.MapGroup(Payviox).RequireAuthorization().WithErrorShape(ErrorShapes.Default));
            }));

        public Task DisposeAsync() => Api.DisposeAsync();
    }

    private static void MapFaults(RouteGroupBuilder group)
    {
        group.MapGet("/fault", Fault);
        group.MapGet("/transient", Transient);
    }

    private static IResult Fault(HttpContext http) => throw new InvalidOperationException("a fault of ours at " + http.Request.Path);

    private static IResult Transient(HttpContext http) => throw new TimeoutException("a grain call timed out at " + http.Request.Path);

    [Theory]
    [InlineData("{", "must be valid JSON")]
    [InlineData("""{"amount":1,"amount":2}""", "must be valid JSON")]
    [InlineData("[]", "must be object")]
    [InlineData("null", "must be object")]
    public async Task A_malformed_body_is_API_VALIDATION_ERROR_at_body_on_the_Xendit_group_and_a_field_error_on_session(string body, string problem)
    {
        var xendit = await _api.Post(Xendit + "/session", ApiFixture.DevSecretKey, body);
        var payviox = await _api.Post("/session", ApiFixture.DevSecretKey, body);

        Assert.Equal(HttpStatusCode.BadRequest, xendit.StatusCode);
        AssertJson(
            $$"""{"error_code":"API_VALIDATION_ERROR","message":"request/body {{problem}}","errors":[{"message":"{{problem}}","path":"/body"}]}""",
            await xendit.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.BadRequest, payviox.StatusCode);
        Assert.True((await Bodies.Errors(payviox)).ContainsKey("body"));
    }

    [Fact]
    public async Task An_oversized_body_is_413_API_VALIDATION_ERROR_on_the_Xendit_group_and_writes_nothing()
    {
        var body = Bodies.SeedExample();
        body["description"] = new string('x', 1024 * 1024);

        var response = await _api.Post(Xendit + "/session", ApiFixture.DevSecretKey, body.ToJsonString());

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        AssertJson(
            """{"error_code":"API_VALIDATION_ERROR","message":"request/body must not be larger than 1048576 bytes","errors":[{"message":"must not be larger than 1048576 bytes","path":"/body"}]}""",
            await response.Content.ReadAsStringAsync());
        Assert.Equal(0, await _api.SessionRows(ApiFixture.DevBusiness, body["order_id"]!.GetValue<string>()));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("Bearer not-a-key")]
    [InlineData("Bearer sk_test_unknown0000000000000")]
    [InlineData("Basic c2tfdGVzdF9kZXZtZXJjaGFudDAwMDAwMDAwMDAwMDo=")]
    public async Task A_missing_malformed_or_unknown_key_is_INVALID_API_KEY_on_the_Xendit_group_and_Unauthorized_on_session(string? authorization)
    {
        var body = Bodies.SeedExample();

        var xendit = await Send(HttpMethod.Post, Xendit + "/session", authorization, body.ToJsonString());
        var payviox = await Send(HttpMethod.Post, "/session", authorization, body.ToJsonString());

        Assert.Equal((HttpStatusCode.Unauthorized, InvalidApiKey), (xendit.StatusCode, await xendit.Content.ReadAsStringAsync()));
        Assert.Equal((HttpStatusCode.Unauthorized, """{"error":"Unauthorized"}"""), (payviox.StatusCode, await payviox.Content.ReadAsStringAsync()));
        Assert.Equal(0, await _api.SessionRows(ApiFixture.DevBusiness, body["order_id"]!.GetValue<string>()));
    }

    [Fact]
    public async Task An_unexpected_exception_is_500_SERVER_ERROR_on_the_Xendit_group_and_Internal_server_error_on_the_Payviox_one()
    {
        var xendit = await _api.Get(Xendit + "/fault", ApiFixture.DevSecretKey);
        var payviox = await _api.Get(Payviox + "/fault", ApiFixture.DevSecretKey);

        Assert.Equal(HttpStatusCode.InternalServerError, xendit.StatusCode);
        AssertJson(
            """{"error_code":"SERVER_ERROR","message":"Something unexpected happened. We are investigating this issue. Please try again later."}""",
            await xendit.Content.ReadAsStringAsync());
        Assert.Equal((HttpStatusCode.InternalServerError, """{"error":"Internal server error"}"""), (payviox.StatusCode, await payviox.Content.ReadAsStringAsync()));
    }

    [Fact]
    public async Task A_transient_failure_is_503_with_Retry_After_in_each_groups_shape()
    {
        var xendit = await _api.Get(Xendit + "/transient", ApiFixture.DevSecretKey);
        var payviox = await _api.Get(Payviox + "/transient", ApiFixture.DevSecretKey);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, xendit.StatusCode);
        Assert.Equal("SERVER_ERROR", (await Bodies.Json(xendit))["error_code"]!.GetValue<string>());
        Assert.Equal("1", xendit.Headers.GetValues("Retry-After").Single());
        Assert.Equal((HttpStatusCode.ServiceUnavailable, """{"error":"Service unavailable"}"""), (payviox.StatusCode, await payviox.Content.ReadAsStringAsync()));
        Assert.Equal("1", payviox.Headers.GetValues("Retry-After").Single());
    }

    [Fact]
    public async Task An_overlong_url_or_header_section_is_answered_in_the_Xendit_groups_shape()
    {
        var longUrl = await _api.Get($"{Xendit}/session/{new string('a', 5000)}", ApiFixture.DevSecretKey);
        var longHeaders = await Send(HttpMethod.Get, $"{Xendit}/session/{TestSessions.NewId()}", "Bearer " + ApiFixture.DevSecretKey, null, new string('h', 20_000));

        Assert.Equal(HttpStatusCode.RequestUriTooLong, longUrl.StatusCode);
        Assert.Equal("/path", (await Bodies.Json(longUrl))["errors"]![0]!["path"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.RequestHeaderFieldsTooLarge, longHeaders.StatusCode);
        Assert.Equal("/headers", (await Bodies.Json(longHeaders))["errors"]![0]!["path"]!.GetValue<string>());
    }

    private Task<HttpResponseMessage> Send(HttpMethod method, string path, string? authorization, string? body, string? filler = null) =>
        _api.Send(method, path, null, body, request =>
        {
            if (authorization is not null)
            {
                request.Headers.TryAddWithoutValidation("Authorization", authorization);
            }

            if (filler is not null)
            {
                request.Headers.TryAddWithoutValidation("X-Filler", filler);
            }
        });

    private static void AssertJson(string expected, string actual) =>
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(expected), JsonNode.Parse(actual)), $"expected {expected}, got {actual}");
}
