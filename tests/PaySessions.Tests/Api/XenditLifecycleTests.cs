using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using PaySessions.Grains.Merchants;
using PaySessions.Grains.Payments;
using PaySessions.Grains.Sessions;
using PaySessions.Tests.Infrastructure;

namespace PaySessions.Tests.Api;

/// <summary>
/// The Xendit dialect's lifecycle over real HTTP on a host of its own (webhooks polled fast,
/// sessions swept every second): sessions paid or saved through the sandbox's checkout to
/// COMPLETED, expired at their expires_at, and told to the merchant's loopback receiver as that
/// dialect's webhooks with the business's <c>x-callback-token</c>. Sessions are created with
/// <c>POST /sessions</c> from the seed's examples (<see cref="XenditTestSessions"/>), except the one
/// whose expiry is nearer than that route allows.
/// </summary>
public sealed class XenditLifecycleTests : IAsyncLifetime
{
    private const string Uuid = "[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}";
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(30);

    private readonly ApiFixture _api = new();

    public Task InitializeAsync() => _api.InitializeWith(new Dictionary<string, string?>
    {
        ["PaySessions:Webhooks:PollInterval"] = "00:00:00.100",
        ["PaySessions:Webhooks:RetryDelays:0"] = "00:00:00.500",
        ["PaySessions:Webhooks:RetryDelays:1"] = "00:00:00.500",
        ["PaySessions:Webhooks:RetryDelays:2"] = "00:00:00.500",
        ["PaySessions:Sessions:ExpirySweepPeriod"] = "00:00:01",
    });

    public Task DisposeAsync() => _api.DisposeAsync();

    [Fact]
    public async Task A_pay_session_paid_through_the_sandbox_completes_with_payment_ids_and_the_merchant_gets_the_xendit_webhook()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var merchant = await Merchant(receiver.Url);
        var id = await XenditTestSessions.Create(_api, merchant.Keys.SecretKey, SessionType.Pay);

        await PayThroughSandbox(id);
        var delivery = Assert.Single(await receiver.WaitFor(d => d.Count > 0, Within));
        var session = await Get(id, merchant.Keys.SecretKey);

        var webhook = JsonNode.Parse(delivery.Body)!.AsObject();
        Assert.Equal(["event", "business_id", "created", "data"], webhook.Select(p => p.Key));
        Assert.Equal("payment_session.completed", webhook["event"]!.GetValue<string>());
        Assert.Equal(merchant.Keys.BusinessId, webhook["business_id"]!.GetValue<string>());
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,3})?Z$", webhook["created"]!.GetValue<string>());
        // data is the session object exactly as GET shows it (nothing changed since the event).
        Assert.True(JsonNode.DeepEquals(session, webhook["data"]), $"webhook data {webhook["data"]} differs from GET {session}");
        Assert.Equal("COMPLETED", session["status"]!.GetValue<string>());
        Assert.Matches($"^py-{Uuid}$", session["payment_id"]!.GetValue<string>());
        Assert.Matches($"^pr-{Uuid}$", session["payment_request_id"]!.GetValue<string>());
        Assert.Null(session["payment_token_id"]);
        Assert.Equal(10000.00m, session["amount"]!.GetValue<decimal>());

        Assert.Equal(merchant.CallbackToken, delivery.CallbackToken);
        Assert.Matches("^evt_[0-9a-f]{32}$", delivery.WebhookId);
        Assert.True(ReadmeWebhookScheme.Verify(merchant.Secret, delivery.Signature, Encoding.UTF8.GetBytes(delivery.Body), DateTimeOffset.UtcNow));
    }

    [Fact]
    public async Task A_save_session_completes_through_the_sandbox_with_the_token_it_saved_and_nothing_charged()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var merchant = await Merchant(receiver.Url);
        var id = await XenditTestSessions.Create(_api, merchant.Keys.SecretKey, SessionType.Save);

        var reference = await PayThroughSandbox(id, page => Assert.Contains("Save this payment method (nothing is charged)", page, StringComparison.Ordinal));
        var delivery = Assert.Single(await receiver.WaitFor(d => d.Count > 0, Within));
        var session = await Get(id, merchant.Keys.SecretKey);
        var atSandbox = await _api.Host.Grains.GetGrain<ISandboxPaymentGrain>(reference).GetPayment();

        var webhook = JsonNode.Parse(delivery.Body)!;
        Assert.Equal("payment_session.completed", webhook["event"]!.GetValue<string>());
        Assert.True(JsonNode.DeepEquals(session, webhook["data"]), $"webhook data {webhook["data"]} differs from GET {session}");
        Assert.Equal("COMPLETED", session["status"]!.GetValue<string>());
        Assert.Equal("SAVE", session["session_type"]!.GetValue<string>());
        Assert.Equal(0, session["amount"]!.GetValue<decimal>());
        Assert.Matches($"^ptkn-{Uuid}$", session["payment_token_id"]!.GetValue<string>());
        Assert.Equal(atSandbox!.PaymentTokenId, session["payment_token_id"]!.GetValue<string>());
        Assert.Null(atSandbox.PaymentId);
        Assert.Null(session["payment_id"]);
        Assert.Null(session["payment_request_id"]);
        Assert.Equal(merchant.CallbackToken, delivery.CallbackToken);
    }

    [Fact]
    public async Task Money_reported_on_a_save_session_is_a_mismatch_recorded_and_told_and_the_session_stays_active()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var merchant = await Merchant(receiver.Url);
        var id = await XenditTestSessions.Create(_api, merchant.Keys.SecretKey, SessionType.Save);
        var started = await _api.Host.Grains.InitiatePayment(id, new InitiatePayment("sandbox_card", null));
        var reference = Sandbox.ReferenceFrom(started.RedirectUrl!);

        // The provider says it charged 50000 IDR for a session that asked for nothing.
        var charged = Sandbox.Body(reference, succeeded: true, paymentId: "sbxpay_save_charged", amount: 50000, currency: "IDR");
        Assert.Equal(HttpStatusCode.OK, (await Sandbox.Deliver(_api.Host.Http, charged, Sandbox.Sign(charged))).StatusCode);
        var delivery = Assert.Single(await receiver.WaitFor(d => d.Count > 0, Within));
        var session = await Get(id, merchant.Keys.SecretKey);
        var snapshot = await _api.Host.Grains.GetGrain<IPaymentSessionGrain>(id).GetSnapshot();

        var webhook = JsonNode.Parse(delivery.Body)!;
        Assert.Equal("session.payment_mismatch", webhook["event"]!.GetValue<string>());
        Assert.True(JsonNode.DeepEquals(session, webhook["data"]), $"webhook data {webhook["data"]} differs from GET {session}");
        Assert.Equal("ACTIVE", session["status"]!.GetValue<string>());
        Assert.Null(session["payment_token_id"]);
        var payment = webhook["payment"]!;
        Assert.Equal("mismatch", payment["status"]!.GetValue<string>());
        Assert.Equal("sbxpay_save_charged", payment["provider_payment_id"]!.GetValue<string>());
        Assert.Equal(50000m, payment["amount"]!.GetValue<decimal>());
        Assert.Equal("IDR", payment["currency"]!.GetValue<string>());
        Assert.Equal(0m, payment["expected_amount"]!.GetValue<decimal>());
        Assert.True(payment["refund_required"]!.GetValue<bool>());
        Assert.Equal(merchant.CallbackToken, delivery.CallbackToken);
        Assert.True(snapshot!.RefundRequired);
        Assert.Equal(50000, Assert.Single(snapshot.PaymentMismatches).Amount);
    }

    [Fact]
    public async Task Money_taken_after_a_cancel_is_told_as_a_late_payment_in_the_xendit_envelope_and_the_cancel_is_not_told()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var merchant = await Merchant(receiver.Url);
        var id = await XenditTestSessions.Create(_api, merchant.Keys.SecretKey, SessionType.Pay);
        var started = await _api.Host.Grains.InitiatePayment(id, new InitiatePayment("sandbox_card", null));
        var canceled = await _api.Send(HttpMethod.Post, $"/sessions/{id}/cancel", key: null, body: null, request =>
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(merchant.Keys.SecretKey + ":"))));
        Assert.Equal(HttpStatusCode.OK, canceled.StatusCode);

        // The customer still approves on the provider's page: the money is real.
        Assert.Equal(HttpStatusCode.OK, (await _api.Host.Http.PostAsync(new Uri(started.RedirectUrl + "/approve"), null)).StatusCode);
        // The first delivery is the late payment; its refund (the default policy) is told after it.
        var delivery = (await receiver.WaitFor(d => d.Count > 0, Within))[0];
        var session = await Get(id, merchant.Keys.SecretKey);

        var webhook = JsonNode.Parse(delivery.Body)!;
        Assert.Equal("session.late_payment", webhook["event"]!.GetValue<string>());
        Assert.True(JsonNode.DeepEquals(session, webhook["data"]), $"webhook data {webhook["data"]} differs from GET {session}");
        Assert.Equal("CANCELED", session["status"]!.GetValue<string>());
        Assert.Null(session["payment_id"]);
        var payment = webhook["payment"]!;
        Assert.Equal("late", payment["status"]!.GetValue<string>());
        Assert.Equal(10000.00m, payment["amount"]!.GetValue<decimal>());
        Assert.Equal("PHP", payment["currency"]!.GetValue<string>());
        Assert.Equal("10000.00", payment["expected_amount"]!.ToJsonString());
        Assert.Matches($"^pr-{Uuid}$", payment["payment_request_id"]!.GetValue<string>());
        Assert.True(payment["refund_required"]!.GetValue<bool>());
        Assert.Equal(merchant.CallbackToken, delivery.CallbackToken);
    }

    [Fact]
    public async Task A_session_past_its_expires_at_sends_payment_session_expired()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var merchant = await Merchant(receiver.Url);
        var id = await XenditTestSessions.CreateThroughGrain(_api.Host.Grains, merchant.Keys.BusinessId, SessionType.Pay, DateTimeOffset.UtcNow.AddSeconds(2));

        var delivery = Assert.Single(await receiver.WaitFor(d => d.Count > 0, Within));
        var session = await Get(id, merchant.Keys.SecretKey);

        var webhook = JsonNode.Parse(delivery.Body)!;
        Assert.Equal("payment_session.expired", webhook["event"]!.GetValue<string>());
        Assert.Equal("EXPIRED", webhook["data"]!["status"]!.GetValue<string>());
        Assert.True(JsonNode.DeepEquals(session, webhook["data"]), $"webhook data {webhook["data"]} differs from GET {session}");
        Assert.Null(session["payment_id"]);
        Assert.Equal(merchant.CallbackToken, delivery.CallbackToken);
    }

    [Fact]
    public async Task Rotating_the_callback_token_changes_the_header_of_later_deliveries()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var merchant = await Merchant(receiver.Url);
        var before = await XenditTestSessions.Create(_api, merchant.Keys.SecretKey, SessionType.Pay);
        await PayThroughSandbox(before);
        Assert.Single(await receiver.WaitFor(d => d.Count > 0, Within));

        var rotated = (await _api.Host.Grains.GetGrain<IBusinessGrain>(merchant.Keys.BusinessId).RotateCallbackToken()).Token!;
        var after = await XenditTestSessions.Create(_api, merchant.Keys.SecretKey, SessionType.Save);
        await PayThroughSandbox(after);
        var deliveries = await receiver.WaitFor(d => d.Count > 1, Within);

        Assert.NotEqual(merchant.CallbackToken, rotated);
        Assert.Equal([before, after], deliveries.Select(d => JsonNode.Parse(d.Body)!["data"]!["payment_session_id"]!.GetValue<string>()));
        Assert.Equal([merchant.CallbackToken, rotated], deliveries.Select(d => d.CallbackToken));
    }

    [Fact]
    public async Task Every_retry_of_a_xendit_webhook_sends_the_same_bytes_and_the_same_webhook_id()
    {
        await using var receiver = await WebhookReceiver.StartAsync(failFirst: 2);
        var merchant = await Merchant(receiver.Url);
        var id = await XenditTestSessions.Create(_api, merchant.Keys.SecretKey, SessionType.Pay);
        await PayThroughSandbox(id);

        var deliveries = await receiver.WaitFor(d => d.Any(x => x.AnsweredWith == 200), Within);

        Assert.Equal([500, 500, 200], deliveries.Select(d => d.AnsweredWith));
        Assert.Single(deliveries.Select(d => d.Body).Distinct());
        Assert.Single(deliveries.Select(d => d.WebhookId).Distinct());
        Assert.All(deliveries, d => Assert.Equal(merchant.CallbackToken, d.CallbackToken));

        // The Xendit dialect's deliveries are as they were: no Payviox Signature header.
        Assert.All(deliveries, d => Assert.Null(d.BodySignature));
    }

    [Fact]
    public async Task A_payviox_session_of_the_same_business_gets_its_own_body_and_no_callback_token()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var merchant = await Merchant(receiver.Url);
        Assert.True((await _api.Host.Grains.GetGrain<IBusinessGrain>(merchant.Keys.BusinessId).SetWebhookEvents(["session.canceled"])).Accepted);
        var created = await _api.Post("/session", merchant.Keys.SecretKey, Bodies.SeedExample().ToJsonString());
        var id = (await Bodies.Json(created))["session_id"]!.GetValue<string>();

        Assert.Equal(HttpStatusCode.OK, (await _api.Post($"/session/{id}/cancel", merchant.Keys.SecretKey, "")).StatusCode);
        var delivery = Assert.Single(await receiver.WaitFor(d => d.Count > 0, Within));

        Assert.Equal("session.canceled", JsonNode.Parse(delivery.Body)!["type"]!.GetValue<string>());
        Assert.Equal(id, TestMerchants.SessionOf(JsonNode.Parse(delivery.Body)!));
        Assert.Null(delivery.CallbackToken);
        Assert.True(PayvioxWebhookScheme.Verify(merchant.Secret, delivery.BodySignature, delivery.Body));
        Assert.Matches("^evt_[0-9a-f]{32}$", delivery.WebhookId);
    }

    // Initiates with the sandbox card, then approves on the sandbox's checkout over HTTP, as a customer would.
    private async Task<string> PayThroughSandbox(string id, Action<string>? checkPage = null)
    {
        var started = await _api.Host.Grains.InitiatePayment(id, new InitiatePayment("sandbox_card", null));
        Assert.Equal(InitiatePaymentOutcome.Initiated, started.Outcome);
        var page = await _api.Host.Http.GetStringAsync(new Uri(started.RedirectUrl!));
        checkPage?.Invoke(page);
        // Not followed: right after a completed payment the page sends the customer on to the
        // shop's success_return_url, which is not on loopback.
        using var customer = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false });
        var approved = await customer.PostAsync(new Uri(started.RedirectUrl + "/approve"), null);
        Assert.Equal(HttpStatusCode.SeeOther, approved.StatusCode);
        Assert.Equal($"/pay/{id}?after=payment", approved.Headers.Location!.ToString());
        return Sandbox.ReferenceFrom(started.RedirectUrl!);
    }

    private async Task<JsonObject> Get(string id, string secretKey)
    {
        var response = await _api.Send(HttpMethod.Get, $"/sessions/{id}", key: null, body: null, request =>
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(secretKey + ":"))));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await Bodies.Json(response);
    }

    private async Task<(IssuedKeys Keys, string Secret, string CallbackToken)> Merchant(string url)
    {
        var keys = await _api.NewBusiness("Xendit Shop");
        var business = _api.Host.Grains.GetGrain<IBusinessGrain>(keys.BusinessId);
        await business.EnablePaymentMethods(["sandbox_card"]);
        var configured = await business.ConfigureWebhook(url);
        Assert.True(configured.Accepted, configured.Error);
        var token = await business.RotateCallbackToken();
        Assert.True(token.Accepted, token.Error);
        return (keys, configured.Secret!, token.Token!);
    }
}
