using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using PaySessions.Grains.Merchants;
using PaySessions.Grains.Payments;
using PaySessions.Tests.Infrastructure;

namespace PaySessions.Tests.Api;

/// <summary>
/// A host whose catalogue has <c>acme_card</c>, served by the generic HTTP provider against a fake
/// provider, and <c>slow_card</c> against a second fake whose time budget is long enough to hang in.
/// </summary>
public sealed class HttpProviderFixture : IAsyncLifetime
{
    public const string WebhookSecret = "whsec_acme_test_secret_0000";

    public FakeProvider Provider { get; private set; } = null!;

    public FakeProvider Slow { get; private set; } = null!;

    public ApiFixture Api { get; } = new();

    public IssuedKeys Keys { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Provider = await FakeProvider.StartAsync();
        Slow = await FakeProvider.StartAsync();
        await Api.InitializeWith(new Dictionary<string, string?>
        {
            ["PaySessions:Providers:acme:Type"] = "http",
            ["PaySessions:Providers:acme:BaseUrl"] = Provider.Url,
            ["PaySessions:Providers:acme:ApiKey"] = "sk_acme_test",
            ["PaySessions:Providers:acme:WebhookSecret"] = WebhookSecret,
            ["PaySessions:Providers:acme:Timeout"] = "00:00:02",
            ["PaySessions:Providers:acme:Retries"] = "1",
            ["PaySessions:PaymentMethods:2:Id"] = "acme_card",
            ["PaySessions:PaymentMethods:2:Provider"] = "acme",
            ["PaySessions:PaymentMethods:2:Kind"] = "Redirect",
            ["PaySessions:PaymentMethods:2:DisplayName"] = "Acme card",
            ["PaySessions:Providers:slowpay:Type"] = "http",
            ["PaySessions:Providers:slowpay:BaseUrl"] = Slow.Url,
            ["PaySessions:Providers:slowpay:ApiKey"] = "sk_slowpay_test",
            ["PaySessions:Providers:slowpay:WebhookSecret"] = "whsec_slowpay_test_0000",
            ["PaySessions:Providers:slowpay:Timeout"] = "00:05:00",
            ["PaySessions:Providers:slowpay:Retries"] = "0",
            // An index past the built-in catalogue, so no built-in method's currencies merge into it.
            ["PaySessions:PaymentMethods:40:Id"] = "slow_card",
            ["PaySessions:PaymentMethods:40:Provider"] = "slowpay",
            ["PaySessions:PaymentMethods:40:Kind"] = "Redirect",
        });
        Keys = await Api.NewBusiness("Acme Shop");
        await Api.Host.Grains.GetGrain<IBusinessGrain>(Keys.BusinessId).EnablePaymentMethods(["acme_card", "slow_card"]);
    }

    public async Task DisposeAsync()
    {
        await Api.DisposeAsync();
        await Provider.DisposeAsync();
        await Slow.DisposeAsync();
    }
}

public sealed class HttpProviderTests(HttpProviderFixture fixture) : IClassFixture<HttpProviderFixture>
{
    private ApiFixture Api => fixture.Api;

    [Fact]
    public async Task A_provider_that_accepts_gives_its_redirect_url_and_its_webhook_completes_the_session()
    {
        fixture.Provider.Mode = FakeProvider.Behaviour.Succeed;
        var id = await Create();

        var pay = await Api.Post($"/session/{id}/pay", fixture.Keys.SecretKey, """{"paymentMethodId":"acme_card"}""");

        Assert.Equal(HttpStatusCode.OK, pay.StatusCode);
        var redirect = (await Bodies.Json(pay))["redirect_url"]!.GetValue<string>();
        Assert.StartsWith("https://checkout.acme.test/acme_", redirect, StringComparison.Ordinal);
        var call = fixture.Provider.Calls.Last();
        Assert.Equal("Bearer sk_acme_test", call.Authorization);
        var sent = JsonNode.Parse(call.Body)!;
        Assert.Equal(10000, sent["amount"]!.GetValue<long>());
        Assert.Equal("acme_card", sent["payment_method"]!.GetValue<string>());
        Assert.Equal(id, sent["session_id"]!.GetValue<string>());

        var reference = redirect[(redirect.LastIndexOf('/') + 1)..];
        var body = JsonSerializer.SerializeToUtf8Bytes(
            new ProviderWebhookMessage(ProviderWebhookMessage.Succeeded, reference, "acmepay_1", null, 10000, "USD"), ProviderWebhookMessage.Json);
        using var webhook = new HttpRequestMessage(HttpMethod.Post, new Uri("/webhooks/acme", UriKind.Relative)) { Content = new ByteArrayContent(body) };
        webhook.Headers.Add("Webhook-Signature", WebhookSignature.Sign(HttpProviderFixture.WebhookSecret, DateTimeOffset.UtcNow, body));
        Assert.Equal(HttpStatusCode.OK, (await Api.Host.Http.SendAsync(webhook)).StatusCode);

        var session = await Bodies.Json(await Api.Get($"/session/{id}", fixture.Keys.SecretKey));
        Assert.Equal("completed", session["status"]!.GetValue<string>());
        Assert.Equal("acmepay_1", session["payment"]!["provider_payment_id"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_transient_failure_is_retried_with_the_same_idempotency_key()
    {
        fixture.Provider.Mode = FakeProvider.Behaviour.FailOnceThenSucceed;
        var id = await Create();
        var before = fixture.Provider.Calls.Count;

        var pay = await Api.Post($"/session/{id}/pay", fixture.Keys.SecretKey, """{"paymentMethodId":"acme_card"}""");

        Assert.Equal(HttpStatusCode.OK, pay.StatusCode);
        var calls = fixture.Provider.Calls.Skip(before).ToList();
        Assert.Equal(2, calls.Count);
        Assert.Single(calls.Select(c => c.IdempotencyKey).Distinct());
    }

    [Theory]
    [InlineData(FakeProvider.Behaviour.Fail, "http_error")]
    [InlineData(FakeProvider.Behaviour.Hang, "timeout")]
    [InlineData(FakeProvider.Behaviour.Garbage, "invalid_response")]
    public async Task A_provider_failure_is_a_payment_error_and_the_session_stays_usable(FakeProvider.Behaviour mode, string errorType)
    {
        fixture.Provider.Mode = mode;
        var body = Bodies.SeedExample();
        body["paymentMethodId"] = "acme_card";

        var created = await Api.Post("/session", fixture.Keys.SecretKey, body.ToJsonString());

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var json = await Bodies.Json(created);
        Assert.Equal(["session_id", "payment_error"], json.Select(p => p.Key));
        Assert.False(json["payment_error"]!["success"]!.GetValue<bool>());
        // For the hanging provider (it answers 500 after 30 s), "timeout" is the proof that the
        // 2 s budget ended the call, not the provider: no stopwatch needed.
        Assert.Equal(errorType, json["payment_error"]!["error_type"]!.GetValue<string>());
        var id = json["session_id"]!.GetValue<string>();
        var session = await Bodies.Json(await Api.Get($"/session/{id}", fixture.Keys.SecretKey));
        Assert.Equal("created", session["status"]!.GetValue<string>());

        fixture.Provider.Mode = FakeProvider.Behaviour.Succeed;
        var retry = await Api.Post($"/session/{id}/pay", fixture.Keys.SecretKey, """{"paymentMethodId":"acme_card"}""");
        Assert.Equal(HttpStatusCode.OK, retry.StatusCode);
    }

    [Fact]
    public async Task Reads_of_a_session_answer_while_its_payment_waits_on_a_hanging_provider_and_a_second_pay_is_refused()
    {
        fixture.Slow.Mode = FakeProvider.Behaviour.HangUntilReleased;
        var id = await Create();
        var slowCalls = fixture.Slow.Calls.Count;
        var acmeCalls = fixture.Provider.Calls.Count;

        var hanging = Api.Post($"/session/{id}/pay", fixture.Keys.SecretKey, """{"paymentMethodId":"slow_card"}""");
        await fixture.Slow.WaitForCalls(slowCalls + 1);

        // The provider holds its answer: every read of the session still answers meanwhile.
        var reads = await Task.WhenAll(
            Api.Get($"/session/{id}", fixture.Keys.SecretKey),
            Api.Get($"/session/{id}/events", fixture.Keys.SecretKey),
            Api.Get($"/session/{id}/webhooks", fixture.Keys.SecretKey),
            Api.Get($"/session/{id}/payment-methods", fixture.Keys.PublicKey));
        Assert.All(reads, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        Assert.Equal("created", (await Bodies.Json(reads[0]))["status"]!.GetValue<string>());

        // One initiation at a time per session, whatever the method: no second provider call.
        var again = await Api.Post($"/session/{id}/pay", fixture.Keys.SecretKey, """{"paymentMethodId":"slow_card"}""");
        var otherMethod = await Api.Post($"/session/{id}/pay", fixture.Keys.SecretKey, """{"paymentMethodId":"acme_card"}""");
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.Equal("""{"error":"Payment initiation in progress"}""", await again.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.Conflict, otherMethod.StatusCode);
        Assert.Equal(slowCalls + 1, fixture.Slow.Calls.Count);
        Assert.Equal(acmeCalls, fixture.Provider.Calls.Count);

        fixture.Slow.Release();
        var paid = await hanging;
        Assert.Equal(HttpStatusCode.OK, paid.StatusCode);
        Assert.StartsWith("https://checkout.acme.test/", (await Bodies.Json(paid))["redirect_url"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(["Created", "PaymentInitiated"], await EventTypes(id));
    }

    [Fact]
    public async Task The_idempotency_key_is_the_same_when_an_attempt_is_tried_again_and_new_for_the_next_attempt()
    {
        fixture.Provider.Mode = FakeProvider.Behaviour.Hang;
        var id = await Create();
        var before = fixture.Provider.Calls.Count;

        var timedOut = await Bodies.Json(await Api.Post($"/session/{id}/pay", fixture.Keys.SecretKey, """{"paymentMethodId":"acme_card"}"""));
        Assert.Equal("timeout", timedOut["payment_error"]!["error_type"]!.GetValue<string>());
        var triedAgain = fixture.Provider.Calls.Count;

        fixture.Provider.Mode = FakeProvider.Behaviour.Succeed;
        var first = await Pay(id);
        var firstKeys = fixture.Provider.Calls.Skip(before).Select(c => c.IdempotencyKey).ToList();
        Assert.True(firstKeys.Count > triedAgain - before, "the attempt was tried again after its timeout");
        var key = Assert.Single(firstKeys.Distinct());

        // Paying again while that attempt is pending is the same attempt: no provider call at all.
        var callsBeforeRepeat = fixture.Provider.Calls.Count;
        Assert.Equal(first, await Pay(id));
        Assert.Equal(callsBeforeRepeat, fixture.Provider.Calls.Count);

        await DeliverAcme(ProviderWebhookMessage.Failed, first[(first.LastIndexOf('/') + 1)..], null, null, null);
        var second = await Pay(id);

        Assert.NotEqual(first, second);
        Assert.NotEqual(key, fixture.Provider.Calls.Last().IdempotencyKey);
        Assert.Equal(["Created", "PaymentInitiated", "PaymentFailed", "PaymentInitiated"], await EventTypes(id));
    }

    private async Task<string> Pay(string id)
    {
        var response = await Api.Post($"/session/{id}/pay", fixture.Keys.SecretKey, """{"paymentMethodId":"acme_card"}""");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await Bodies.Json(response))["redirect_url"]!.GetValue<string>();
    }

    private async Task DeliverAcme(string type, string reference, string? paymentId, long? amount, string? currency)
    {
        var body = JsonSerializer.SerializeToUtf8Bytes(
            new ProviderWebhookMessage(type, reference, paymentId, null, amount, currency), ProviderWebhookMessage.Json);
        using var webhook = new HttpRequestMessage(HttpMethod.Post, new Uri("/webhooks/acme", UriKind.Relative)) { Content = new ByteArrayContent(body) };
        webhook.Headers.Add("Webhook-Signature", WebhookSignature.Sign(HttpProviderFixture.WebhookSecret, DateTimeOffset.UtcNow, body));
        Assert.Equal(HttpStatusCode.OK, (await Api.Host.Http.SendAsync(webhook)).StatusCode);
    }

    private async Task<List<string>> EventTypes(string id)
    {
        var log = await Bodies.Json(await Api.Get($"/session/{id}/events", fixture.Keys.SecretKey));
        return [.. log["events"]!.AsArray().Select(e => e!["type"]!.GetValue<string>())];
    }

    private async Task<string> Create()
    {
        var response = await Api.Post("/session", fixture.Keys.SecretKey, Bodies.SeedExample().ToJsonString());
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await Bodies.Json(response))["session_id"]!.GetValue<string>();
    }
}
