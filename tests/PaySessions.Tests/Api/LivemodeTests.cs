using System.Net;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using PaySessions.Grains.Merchants;
using PaySessions.Grains.Payments;
using PaySessions.Tests.Infrastructure;

namespace PaySessions.Tests.Api;

/// <summary>
/// A host with three kinds of provider: the sandbox (test only), <c>acme</c> over HTTP declared
/// <c>Mode=Live</c> (method <c>acme_card</c>) and <c>acmetest</c> over HTTP with no mode, which is
/// test (method <c>acmetest_card</c>); both HTTP providers are the same fake on loopback. One
/// business holds test and live keys, all four methods enabled, and a webhook receiver.
/// </summary>
public sealed class LivemodeFixture : IAsyncLifetime
{
    public FakeProvider Provider { get; private set; } = null!;

    public WebhookReceiver Receiver { get; private set; } = null!;

    public ApiFixture Api { get; } = new();

    public IssuedKeys TestKeys { get; private set; } = null!;

    public IssuedKeys LiveKeys { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Provider = await FakeProvider.StartAsync();
        Receiver = await WebhookReceiver.StartAsync();

        // Indexes 8 and 9 come after the eight methods of appsettings.json, so nothing there is overwritten.
        await Api.InitializeWith(new Dictionary<string, string?>
        {
            ["PaySessions:Webhooks:PollInterval"] = "00:00:00.100",
            ["PaySessions:Providers:acme:Type"] = "http",
            ["PaySessions:Providers:acme:Mode"] = "Live",
            ["PaySessions:Providers:acme:BaseUrl"] = Provider.Url,
            ["PaySessions:Providers:acme:ApiKey"] = "sk_acme_live",
            ["PaySessions:Providers:acme:WebhookSecret"] = "whsec_acme_live_secret_0000",
            ["PaySessions:Providers:acme:Retries"] = "0",
            ["PaySessions:Providers:acmetest:Type"] = "http",
            ["PaySessions:Providers:acmetest:BaseUrl"] = Provider.Url,
            ["PaySessions:Providers:acmetest:ApiKey"] = "sk_acme_test",
            ["PaySessions:Providers:acmetest:WebhookSecret"] = "whsec_acme_test_secret_0000",
            ["PaySessions:Providers:acmetest:Retries"] = "0",
            ["PaySessions:PaymentMethods:40:Id"] = "acme_card",
            ["PaySessions:PaymentMethods:40:Provider"] = "acme",
            ["PaySessions:PaymentMethods:40:Kind"] = "Redirect",
            ["PaySessions:PaymentMethods:40:DisplayName"] = "Acme card",
            ["PaySessions:PaymentMethods:41:Id"] = "acmetest_card",
            ["PaySessions:PaymentMethods:41:Provider"] = "acmetest",
            ["PaySessions:PaymentMethods:41:Kind"] = "Redirect",
            ["PaySessions:PaymentMethods:41:DisplayName"] = "Acme card (test)",
        });

        TestKeys = await Api.NewBusiness("Two Worlds Ltd");
        var business = Api.Host.Grains.GetGrain<IBusinessGrain>(TestKeys.BusinessId);
        LiveKeys = await business.IssueKeys(ApiKeyMode.Live);
        await business.EnablePaymentMethods(["sandbox_card", "sandbox_wallet", "acme_card", "acmetest_card"]);
        await business.ReceiveWebhooks(Receiver.Url, "session.payment_initiated", "session.canceled");
    }

    public async Task DisposeAsync()
    {
        await Api.DisposeAsync();
        await Receiver.DisposeAsync();
        await Provider.DisposeAsync();
    }
}

public sealed class LivemodeTests(LivemodeFixture fixture) : IClassFixture<LivemodeFixture>
{
    private const string NotFound = """{"error":"Session not found"}""";
    private const string MethodNotFound = """{"error":"Payment method not found"}""";

    private ApiFixture Api => fixture.Api;

    public static TheoryData<bool> Modes => [true, false];

    [Fact]
    public async Task A_live_session_lists_only_the_live_providers_methods()
    {
        var id = await Create(fixture.LiveKeys.SecretKey);

        Assert.Equal(["acme_card"], await MethodIds(id, fixture.LiveKeys.PublicKey));
    }

    [Fact]
    public async Task A_test_session_lists_the_sandbox_and_test_providers_but_never_a_live_one()
    {
        var id = await Create(fixture.TestKeys.SecretKey);

        Assert.Equal(["sandbox_card", "sandbox_wallet", "acmetest_card"], await MethodIds(id, fixture.TestKeys.PublicKey));
    }

    [Theory]
    [InlineData("sandbox_card")]
    [InlineData("sandbox_wallet")]
    [InlineData("acmetest_card")]
    public async Task A_live_session_cannot_be_paid_through_a_test_provider(string method)
    {
        var id = await Create(fixture.LiveKeys.SecretKey);

        var pay = await Api.Post($"/session/{id}/pay", fixture.LiveKeys.PublicKey, $$"""{"paymentMethodId":"{{method}}"}""");

        Assert.Equal(HttpStatusCode.BadRequest, pay.StatusCode);
        Assert.Equal(MethodNotFound, await pay.Content.ReadAsStringAsync());
        Assert.Equal(["Created"], await EventTypes(id, fixture.LiveKeys.SecretKey));
        Assert.DoesNotContain(fixture.Provider.Calls, c => c.Body.Contains(id, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_test_session_cannot_be_paid_through_a_live_provider()
    {
        var id = await Create(fixture.TestKeys.SecretKey);

        var pay = await Api.Post($"/session/{id}/pay", fixture.TestKeys.PublicKey, """{"paymentMethodId":"acme_card"}""");

        Assert.Equal(HttpStatusCode.BadRequest, pay.StatusCode);
        Assert.Equal(MethodNotFound, await pay.Content.ReadAsStringAsync());
        Assert.Equal(["Created"], await EventTypes(id, fixture.TestKeys.SecretKey));
        Assert.DoesNotContain(fixture.Provider.Calls, c => c.Body.Contains(id, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_live_session_is_paid_through_the_live_provider_and_says_so_in_its_webhook()
    {
        fixture.Provider.Mode = FakeProvider.Behaviour.Succeed;
        var id = await Create(fixture.LiveKeys.SecretKey);

        var pay = await Api.Post($"/session/{id}/pay", fixture.LiveKeys.PublicKey, """{"paymentMethodId":"acme_card"}""");

        Assert.Equal(HttpStatusCode.OK, pay.StatusCode);
        var call = Assert.Single(fixture.Provider.Calls, c => c.Body.Contains(id, StringComparison.Ordinal));
        Assert.Equal("Bearer sk_acme_live", call.Authorization);
        var webhook = await WebhookFor(id, "session.payment_initiated");
        Assert.True(webhook["livemode"]!.GetValue<bool>());
        Assert.Equal("acme", webhook["provider"]!.GetValue<string>());
        Assert.Equal("acme_card", webhook["payment_method"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_test_session_is_paid_through_a_test_http_provider_with_no_mode_set()
    {
        fixture.Provider.Mode = FakeProvider.Behaviour.Succeed;
        var id = await Create(fixture.TestKeys.SecretKey);

        var pay = await Api.Post($"/session/{id}/pay", fixture.TestKeys.PublicKey, """{"paymentMethodId":"acmetest_card"}""");

        Assert.Equal(HttpStatusCode.OK, pay.StatusCode);
        Assert.Equal("Bearer sk_acme_test", Assert.Single(fixture.Provider.Calls, c => c.Body.Contains(id, StringComparison.Ordinal)).Authorization);
    }

    [Theory]
    [InlineData(true, "sandbox_card")]
    [InlineData(true, "acmetest_card")]
    [InlineData(false, "acme_card")]
    public async Task A_direct_redirect_with_the_other_modes_method_is_not_found_and_writes_nothing(bool live, string method)
    {
        var keys = live ? fixture.LiveKeys : fixture.TestKeys;
        var body = Bodies.SeedExample();
        body["paymentMethodId"] = method;

        var created = await Api.Post("/session", keys.SecretKey, body.ToJsonString());

        Assert.Equal(HttpStatusCode.BadRequest, created.StatusCode);
        Assert.Equal(MethodNotFound, await created.Content.ReadAsStringAsync());
        Assert.Equal(0, await Api.SessionRows(keys.BusinessId, body["order_id"]!.GetValue<string>()));
    }

    [Theory]
    [InlineData(true, "acme_card")]
    [InlineData(false, "sandbox_card")]
    public async Task A_direct_redirect_with_a_method_of_the_sessions_mode_redirects(bool live, string method)
    {
        fixture.Provider.Mode = FakeProvider.Behaviour.Succeed;
        var keys = live ? fixture.LiveKeys : fixture.TestKeys;
        var body = Bodies.SeedExample();
        body["paymentMethodId"] = method;

        var created = await Api.Post("/session", keys.SecretKey, body.ToJsonString());

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.NotNull((await Bodies.Json(created))["redirect_url"]);
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task A_key_of_the_other_mode_gets_not_found_on_every_session_route(bool live)
    {
        fixture.Provider.Mode = FakeProvider.Behaviour.Succeed;
        var (own, other) = live ? (fixture.LiveKeys, fixture.TestKeys) : (fixture.TestKeys, fixture.LiveKeys);
        var id = await Create(own.SecretKey);
        var routes = SessionRoutes();

        foreach (var (method, pattern) in routes)
        {
            foreach (var key in new[] { other.SecretKey, other.PublicKey })
            {
                var response = await Send(method, pattern, id, key, live ? "acme_card" : "sandbox_card");
                Assert.True(response.StatusCode == HttpStatusCode.NotFound, $"{method} {pattern} with a {(live ? "test" : "live")} key answered {(int)response.StatusCode}");
                Assert.Equal(NotFound, await response.Content.ReadAsStringAsync());
            }
        }

        // Nothing happened to the session, and no provider was asked for anything.
        Assert.Equal(["Created"], await EventTypes(id, own.SecretKey));
        Assert.DoesNotContain(fixture.Provider.Calls, c => c.Body.Contains(id, StringComparison.Ordinal));

        // The same routes do work for the session's own mode (cancel last: it ends the session).
        foreach (var (method, pattern) in routes.OrderBy(r => r.Pattern.EndsWith("/cancel", StringComparison.Ordinal)))
        {
            var response = await Send(method, pattern, id, own.SecretKey, live ? "acme_card" : "sandbox_card");
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{method} {pattern} with the session's own key answered {(int)response.StatusCode}");
        }
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task The_session_body_the_events_log_and_every_webhook_say_livemode(bool live)
    {
        var keys = live ? fixture.LiveKeys : fixture.TestKeys;
        var id = await Create(keys.SecretKey);

        var session = await Bodies.Json(await Api.Get($"/session/{id}", keys.SecretKey));
        var events = await Bodies.Json(await Api.Get($"/session/{id}/events", keys.SecretKey));
        var canceled = await Bodies.Json(await Api.Post($"/session/{id}/cancel", keys.SecretKey, ""));

        Assert.Equal(live, session["livemode"]!.GetValue<bool>());
        Assert.Equal(live, canceled["livemode"]!.GetValue<bool>());
        var created = events["events"]![0]!;
        Assert.Equal("Created", created["type"]!.GetValue<string>());
        Assert.Equal(live, created["data"]!["livemode"]!.GetValue<bool>());
        Assert.Equal(live, (await WebhookFor(id, "session.canceled"))["livemode"]!.GetValue<bool>());
    }

    [Fact]
    public async Task An_order_id_is_unique_per_mode_so_test_orders_never_block_live_ones()
    {
        var orderId = "order_" + Guid.NewGuid().ToString("N")[..12];

        var test = await Api.Post("/session", fixture.TestKeys.SecretKey, Bodies.SeedExample(orderId).ToJsonString());
        var live = await Api.Post("/session", fixture.LiveKeys.SecretKey, Bodies.SeedExample(orderId).ToJsonString());
        var liveAgain = await Api.Post("/session", fixture.LiveKeys.SecretKey, Bodies.SeedExample(orderId).ToJsonString());
        var testAgain = await Api.Post("/session", fixture.TestKeys.SecretKey, Bodies.SeedExample(orderId).ToJsonString());

        Assert.Equal(HttpStatusCode.Created, test.StatusCode);
        Assert.Equal(HttpStatusCode.Created, live.StatusCode);
        foreach (var again in new[] { liveAgain, testAgain })
        {
            Assert.Equal(HttpStatusCode.BadRequest, again.StatusCode);
            Assert.Equal(["The order id has already been taken."], (await Bodies.Errors(again))["order_id"]);
        }

        Assert.Equal(2, await Api.SessionRows(fixture.TestKeys.BusinessId, orderId));
    }

    /// <summary>
    /// Every provider kind and mode setting against both session modes, on the real catalogue and
    /// providers: a method is offered exactly when its provider's mode is the session's, and a
    /// sandbox (or a provider with no mode) never serves a live session, even a sandbox marked
    /// Live that start-up validation would have refused.
    /// </summary>
    [Theory]
    [InlineData("sandbox", null, false, true)]
    [InlineData("sandbox", null, true, false)]
    [InlineData("sandbox", "Test", false, true)]
    [InlineData("sandbox", "Test", true, false)]
    [InlineData("sandbox", "Live", false, true)]
    [InlineData("sandbox", "Live", true, false)]
    [InlineData("http", null, false, true)]
    [InlineData("http", null, true, false)]
    [InlineData("http", "Test", false, true)]
    [InlineData("http", "Test", true, false)]
    [InlineData("http", "Live", false, false)]
    [InlineData("http", "Live", true, true)]
    [InlineData("http", "live", true, true)]
    [InlineData("http", "live", false, false)]
    public void The_catalogue_offers_a_method_only_to_sessions_of_its_providers_mode(string type, string? mode, bool livemode, bool offered)
    {
        var providers = new PaymentProviders(
            Options.Create(new PaymentProvidersOptions
            {
                Providers = { ["p"] = new ProviderOptions { Type = type, Mode = mode, BaseUrl = fixture.Provider.Url, WebhookSecret = "whsec_catalogue_0000000" } },
            }),
            Api.Host.Services);
        var catalog = new PaymentMethodCatalog(
            Options.Create(new PaymentMethodCatalogOptions { Methods = [new PaymentMethodOptions { Id = "m", Provider = "p" }] }),
            providers);

        string[] expected = offered ? ["m"] : [];

        var available = catalog.Available(["m"], "USD", 10000, livemode);

        Assert.Equal(expected, available.Select(m => m.Id));
    }

    [Theory]
    [InlineData("sandbox", "Live", "is a sandbox and cannot be Live")]
    [InlineData("http", "Production", "Mode must be Live or Test, not 'Production'")]
    public void A_provider_with_an_impossible_mode_is_refused(string type, string mode, string message)
    {
        var validator = new PaymentProvidersOptionsValidator();
        var options = new PaymentProvidersOptions { Providers = { ["p"] = new ProviderOptions { Type = type, Mode = mode } } };

        var result = validator.Validate(null, options);

        Assert.True(result.Failed);
        Assert.Contains(message, result.FailureMessage, StringComparison.Ordinal);
    }

    // The session routes as the running host maps them: a route added later is covered here
    // without editing this test. At least the seven known ones must be found.
    private List<(string Method, string Pattern)> SessionRoutes()
    {
        var routes = Api.Host.Services.GetRequiredService<EndpointDataSource>().Endpoints
            .OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText?.StartsWith("/session/", StringComparison.Ordinal) == true && e.RoutePattern.GetParameter("id") is not null)
            .SelectMany(e => (e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? []).Select(m => (m, e.RoutePattern.RawText!)))
            .ToList();
        Assert.Superset(
            new HashSet<string> { "/session/{id}", "/session/{id}/events", "/session/{id}/webhooks", "/session/{id}/payment-methods", "/session/{id}/payments", "/session/{id}/cancel", "/session/{id}/pay" },
            routes.Select(r => r.Item2).ToHashSet());
        return routes;
    }

    private Task<HttpResponseMessage> Send(string method, string pattern, string id, string key, string paymentMethodId) =>
        Api.Send(
            new HttpMethod(method),
            pattern.Replace("{id}", id, StringComparison.Ordinal),
            key,
            method == HttpMethods.Post ? $$"""{"paymentMethodId":"{{paymentMethodId}}"}""" : null);

    private async Task<string> Create(string key)
    {
        var response = await Api.Post("/session", key, Bodies.SeedExample().ToJsonString());
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await Bodies.Json(response))["session_id"]!.GetValue<string>();
    }

    private async Task<IEnumerable<string>> MethodIds(string id, string key)
    {
        var response = await Api.Get($"/session/{id}/payment-methods", key);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await Bodies.Json(response))["payment_methods"]!.AsArray().Select(m => m!["id"]!.GetValue<string>());
    }

    private async Task<IEnumerable<string>> EventTypes(string id, string key)
    {
        var response = await Api.Get($"/session/{id}/events", key);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await Bodies.Json(response))["events"]!.AsArray().Select(e => e!["type"]!.GetValue<string>());
    }

    private async Task<JsonNode> WebhookFor(string sessionId, string type)
    {
        bool Matches(WebhookReceiver.Delivery d)
        {
            var body = JsonNode.Parse(d.Body)!;
            return body["type"]!.GetValue<string>() == type && TestMerchants.SessionOf(body) == sessionId;
        }

        var deliveries = await fixture.Receiver.WaitFor(all => all.Any(Matches), TimeSpan.FromSeconds(20));
        return JsonNode.Parse(Assert.Single(deliveries, Matches).Body)!;
    }
}
