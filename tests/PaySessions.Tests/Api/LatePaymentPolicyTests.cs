using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Npgsql;
using PaySessions.Grains.Merchants;
using PaySessions.Grains.Payments;
using PaySessions.Grains.Sessions;
using PaySessions.Tests.Infrastructure;

namespace PaySessions.Tests.Api;

/// <summary>
/// A host of its own for late payments: sessions expire fifteen seconds after they are created (an
/// attempt does not extend them), webhooks and refunds are polled fast, and besides the sandbox
/// (which refunds) there is <c>acme_card</c> on the generic HTTP provider (whose contract has no
/// refund call) against a fake provider on loopback.
/// </summary>
public sealed class LatePaymentHostFixture : IAsyncLifetime
{
    public const string AcmeSecret = "whsec_acme_late_test_0000";

    public FakeProvider Acme { get; private set; } = null!;

    public ApiFixture Api { get; } = new();

    public async Task InitializeAsync()
    {
        Acme = await FakeProvider.StartAsync();
        var settings = new Dictionary<string, string?>(TestMerchants.FastRetries())
        {
            ["PaySessions:Sessions:Expiry"] = "00:00:15",
            ["PaySessions:Sessions:PendingWindow"] = "00:00:01",
            ["PaySessions:Sessions:ExpirySweepPeriod"] = "00:00:01",
            ["PaySessions:LateRefunds:PollInterval"] = "00:00:00.100",
            ["PaySessions:Providers:acme:Type"] = "http",
            ["PaySessions:Providers:acme:BaseUrl"] = Acme.Url,
            ["PaySessions:Providers:acme:ApiKey"] = "sk_acme_test",
            ["PaySessions:Providers:acme:WebhookSecret"] = AcmeSecret,
            ["PaySessions:PaymentMethods:41:Id"] = "acme_late_card",
            ["PaySessions:PaymentMethods:41:Provider"] = "acme",
            ["PaySessions:PaymentMethods:41:Kind"] = "Redirect",
        };
        await Api.InitializeWith(settings);

        // Warmed up with one paid session, so the tests' first steps fit well inside the expiry.
        var created = await Api.Post("/session", ApiFixture.DevSecretKey, Bodies.SeedExample(orderId: "order_warm_" + Guid.NewGuid().ToString("N")[..12]).ToJsonString());
        var id = (await Bodies.Json(created))["session_id"]!.GetValue<string>();
        await Api.Post($"/session/{id}/pay", ApiFixture.DevSecretKey, """{"paymentMethodId":"sandbox_card"}""");
    }

    public async Task DisposeAsync()
    {
        await Api.DisposeAsync();
        await Acme.DisposeAsync();
    }
}

/// <summary>
/// Late payments by the business's policy, end to end over real HTTP: the session paid at the
/// sandbox's checkout after it was canceled or expired, the provider's webhook, the policy
/// (refund by default, accept, manual, set with <c>merchants set-late-payment-policy</c>), the
/// refund at the sandbox, GET, the projection's <c>manual_review</c>, and the merchant's webhooks
/// on a loopback receiver.
/// </summary>
public sealed class LatePaymentPolicyTests(LatePaymentHostFixture fixture) : IClassFixture<LatePaymentHostFixture>
{
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(45);

    private ApiFixture Api => fixture.Api;

    [Theory]
    [InlineData("canceled")]
    [InlineData("expired")]
    public async Task By_default_a_late_payment_is_refunded_at_the_sandbox_once_and_the_merchant_is_told(string ending)
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var (keys, secret) = await Merchant(receiver.Url, "session.late_payment", "refunded");
        var id = await Create(keys.SecretKey);
        var redirect = await Pay(id, keys.SecretKey);
        await End(id, keys.SecretKey, ending);

        await Approve(redirect);
        var session = await Eventually.Read(() => Session(id, keys.SecretKey), s => RefundStatus(s) == "refunded", Within);

        Assert.Equal(ending, session["status"]!.GetValue<string>());
        Assert.False(session["refund_required"]!.GetValue<bool>());
        Assert.False(session["manual_review"]!.GetValue<bool>());
        var late = Assert.Single(session["late_payments"]!.AsArray())!;
        Assert.Equal("refund", late["handling"]!.GetValue<string>());
        var refundId = late["refund_id"]!.GetValue<string>();
        Assert.Equal(LatePaymentRules.RefundIdFor("sandbox", late["provider_payment_id"]!.GetValue<string>()), refundId);
        Assert.Equal(["Created", "PaymentInitiated", Capitalised(ending), "LatePaymentReceived", "LatePaymentRefunded"], await EventTypes(id, keys.SecretKey));

        // The sandbox was asked exactly once, for what it took, under the refund's id.
        var payment = await Api.Host.Grains.GetGrain<ISandboxPaymentGrain>(Sandbox.ReferenceFrom(redirect)).GetPayment();
        var refund = Assert.Single(payment!.Refunds);
        Assert.Equal((refundId, 10000L, "USD", 1), (refund.RefundId, refund.Amount, refund.Currency, refund.Requests));
        Assert.Equal(refund.SandboxRefundId, late["provider_refund_id"]!.GetValue<string>());
        Assert.Equal(("refunded", false), await Rows(id));

        var deliveries = await receiver.WaitFor(d => d.Count >= 2, Within);
        Assert.All(deliveries, d => Assert.True(PayvioxWebhookScheme.Verify(secret, d.BodySignature, d.Body)));
        var told = deliveries.Select(d => JsonNode.Parse(d.Body)!).OrderBy(w => w["sequence"]!.GetValue<int>()).ToList();
        Assert.Equal(["session.late_payment", "refunded"], told.Select(w => w["type"]!.GetValue<string>()));
        Assert.All(told, w => Assert.Equal(id, TestMerchants.SessionOf(w)));
        Assert.Equal("refund", told[0]["payment"]!["handling"]!.GetValue<string>());
        Assert.True(told[0]["payment"]!["refund_required"]!.GetValue<bool>());
        var refunded = told[1]["payment"]!;
        Assert.Equal("refunded", refunded["status"]!.GetValue<string>());
        Assert.Equal(refundId, refunded["refund_id"]!.GetValue<string>());
        Assert.Equal(refund.SandboxRefundId, refunded["provider_refund_id"]!.GetValue<string>());
        Assert.Equal(10000, refunded["amount"]!.GetValue<long>());
        Assert.False(refunded["refund_required"]!.GetValue<bool>());
    }

    [Theory]
    [InlineData("canceled")]
    [InlineData("expired")]
    public async Task Under_the_accept_policy_a_late_payment_completes_the_session_with_the_fee_of_a_normal_completion(string ending)
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var (keys, secret) = await Merchant(receiver.Url, "succeeded", "session.late_payment");
        var (code, output) = await MerchantsCli.Run(Api.Host, "merchants", "set-late-payment-policy", keys.BusinessId, "accept");
        Assert.True(code == 0, output);
        Assert.Contains($"{keys.BusinessId} late payments: accept", output, StringComparison.Ordinal);

        // A payment on time first: its fee is what a completion of these figures costs.
        var onTime = await Create(keys.SecretKey);
        await Approve(await Pay(onTime, keys.SecretKey));
        var normal = JsonNode.Parse(Assert.Single(await receiver.WaitFor(d => d.Count >= 1, Within)).Body)!;
        Assert.Equal("succeeded", normal["type"]!.GetValue<string>());

        var id = await Create(keys.SecretKey);
        var redirect = await Pay(id, keys.SecretKey);
        await End(id, keys.SecretKey, ending);
        await Approve(redirect);
        var session = await Eventually.Read(() => Session(id, keys.SecretKey), s => s["status"]!.GetValue<string>() == "completed", Within);

        Assert.Equal("completed", session["status"]!.GetValue<string>());
        Assert.False(session["refund_required"]!.GetValue<bool>());
        Assert.False(session["manual_review"]!.GetValue<bool>());
        var late = Assert.Single(session["late_payments"]!.AsArray())!;
        Assert.Equal("accept", late["handling"]!.GetValue<string>());
        Assert.Null(late["refund_id"]);
        Assert.Equal(late["provider_payment_id"]!.GetValue<string>(), session["payment"]!["provider_payment_id"]!.GetValue<string>());
        Assert.Equal(["Created", "PaymentInitiated", Capitalised(ending), "LatePaymentReceived", "LatePaymentAccepted"], await EventTypes(id, keys.SecretKey));
        Assert.Equal("completed", await ProjectedStatus(id));
        Assert.Equal((null, false), await Rows(id));
        var payment = await Api.Host.Grains.GetGrain<ISandboxPaymentGrain>(Sandbox.ReferenceFrom(redirect)).GetPayment();
        Assert.Empty(payment!.Refunds);

        var deliveries = await receiver.WaitFor(d => d.Count >= 3, Within);
        Assert.All(deliveries, d => Assert.True(PayvioxWebhookScheme.Verify(secret, d.BodySignature, d.Body)));
        // Both come from one append and are sent in parallel: in the order of their events, not of arrival.
        var told = deliveries.Skip(1).Select(d => JsonNode.Parse(d.Body)!).OrderBy(w => w["sequence"]!.GetValue<int>()).ToList();
        Assert.Equal(["session.late_payment", "succeeded"], told.Select(w => w["type"]!.GetValue<string>()));
        Assert.Equal("accept", told[0]["payment"]!["handling"]!.GetValue<string>());
        Assert.False(told[0]["payment"]!["refund_required"]!.GetValue<bool>());
        Assert.True(told[1]["late"]!.GetValue<bool>());
        Assert.Null(normal["late"]);
        Assert.Equal(normal["fees"]!.GetValue<long>(), told[1]["fees"]!.GetValue<long>());
        Assert.Equal("sandbox_card", told[1]["payment_method"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("canceled")]
    [InlineData("expired")]
    public async Task Under_the_manual_policy_a_late_payment_is_flagged_for_an_operator_and_told_as_late(string ending)
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var (keys, secret) = await Merchant(receiver.Url, "session.late_payment", "refunded", "succeeded");
        Assert.True((await Api.Host.Grains.GetGrain<IBusinessGrain>(keys.BusinessId).SetLatePaymentPolicy(LatePaymentPolicy.Manual)).Accepted);
        var id = await Create(keys.SecretKey);
        var redirect = await Pay(id, keys.SecretKey);
        await End(id, keys.SecretKey, ending);

        await Approve(redirect);
        var session = await Eventually.Read(() => Session(id, keys.SecretKey), s => s["late_payments"]!.AsArray().Count > 0, Within);

        Assert.Equal(ending, session["status"]!.GetValue<string>());
        Assert.True(session["refund_required"]!.GetValue<bool>());
        Assert.True(session["manual_review"]!.GetValue<bool>());
        var late = Assert.Single(session["late_payments"]!.AsArray())!;
        Assert.Equal("manual", late["handling"]!.GetValue<string>());
        Assert.Null(late["refund_id"]);
        Assert.Null(late["refund_status"]);
        Assert.Equal((null, true), await Rows(id));
        // Listed by the filter an operator's view uses; the business's other session is not.
        var other = await Create(keys.SecretKey);
        var flagged = await Bodies.Json(await Api.Get("/session?manual_review=true", keys.SecretKey));
        Assert.Equal([id], flagged["data"]!.AsArray().Select(s => s!["session_id"]!.GetValue<string>()));
        var unflagged = await Bodies.Json(await Api.Get("/session?manual_review=false", keys.SecretKey));
        Assert.Equal([other], unflagged["data"]!.AsArray().Select(s => s!["session_id"]!.GetValue<string>()));

        var delivery = Assert.Single(await receiver.WaitFor(d => d.Count >= 1, Within));
        Assert.True(PayvioxWebhookScheme.Verify(secret, delivery.BodySignature, delivery.Body));
        var webhook = JsonNode.Parse(delivery.Body)!;
        Assert.Equal("session.late_payment", webhook["type"]!.GetValue<string>());
        Assert.Equal("manual", webhook["payment"]!["handling"]!.GetValue<string>());
        Assert.True(webhook["payment"]!["manual_review"]!.GetValue<bool>());
        Assert.True(webhook["payment"]!["refund_required"]!.GetValue<bool>());

        // Nothing else happens to it: no refund was asked, and the log ends with the late payment.
        Assert.Empty((await Api.Host.Grains.GetGrain<ISandboxPaymentGrain>(Sandbox.ReferenceFrom(redirect)).GetPayment())!.Refunds);
        Assert.Equal(["Created", "PaymentInitiated", Capitalised(ending), "LatePaymentReceived"], await EventTypes(id, keys.SecretKey));
    }

    [Fact]
    public async Task A_provider_whose_contract_has_no_refund_call_fails_the_refund_and_flags_the_session()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var (keys, secret) = await Merchant(receiver.Url, "session.late_payment", "session.late_payment_refund_failed");
        fixture.Acme.Mode = FakeProvider.Behaviour.Succeed;
        var id = await Create(keys.SecretKey);
        var pay = await Api.Post($"/session/{id}/pay", keys.SecretKey, """{"paymentMethodId":"acme_late_card"}""");
        Assert.Equal(HttpStatusCode.OK, pay.StatusCode);
        var reference = Sandbox.ReferenceFrom((await Bodies.Json(pay))["redirect_url"]!.GetValue<string>());
        await End(id, keys.SecretKey, "canceled");
        var calls = fixture.Acme.Calls.Count;

        await ReportAcmeSuccess(reference, "acmepay_late_1");
        var session = await Eventually.Read(() => Session(id, keys.SecretKey), s => RefundStatus(s) == "failed", Within);

        var late = Assert.Single(session["late_payments"]!.AsArray())!;
        Assert.Equal("failed", late["refund_status"]!.GetValue<string>());
        Assert.Equal(ProviderRefund.NotSupported, late["refund_failure_reason"]!.GetValue<string>());
        Assert.True(session["manual_review"]!.GetValue<bool>());
        Assert.True(session["refund_required"]!.GetValue<bool>());
        Assert.Equal(["Created", "PaymentInitiated", "Canceled", "LatePaymentReceived", "LatePaymentRefundFailed"], await EventTypes(id, keys.SecretKey));
        Assert.Equal(("failed", true), await Rows(id));
        Assert.Equal(calls, fixture.Acme.Calls.Count);

        var deliveries = await receiver.WaitFor(d => d.Count >= 2, Within);
        Assert.All(deliveries, d => Assert.True(PayvioxWebhookScheme.Verify(secret, d.BodySignature, d.Body)));
        // The late payment's webhook and the refund's come from two appends and may arrive in either order.
        var failed = deliveries.Select(d => JsonNode.Parse(d.Body)!).Single(b => b["type"]!.GetValue<string>() == "session.late_payment_refund_failed");
        Assert.Equal("refund_failed", failed["payment"]!["status"]!.GetValue<string>());
        Assert.Equal(ProviderRefund.NotSupported, failed["payment"]!["refund_failure_reason"]!.GetValue<string>());
        Assert.True(failed["payment"]!["manual_review"]!.GetValue<bool>());
        Assert.Equal("acmepay_late_1", failed["payment"]!["provider_payment_id"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_refund_the_sandbox_refuses_is_recorded_as_failed_with_its_reason()
    {
        var (keys, _) = await Merchant(null);
        var id = await Create(keys.SecretKey);
        var reference = Sandbox.ReferenceFrom(await Pay(id, keys.SecretKey));
        await End(id, keys.SecretKey, "canceled");

        // A success the sandbox never approved (its payment is still pending there): it refuses the refund.
        var body = Sandbox.Body(reference, succeeded: true, paymentId: "sbxpay_never_taken");
        Assert.Equal(HttpStatusCode.OK, (await Sandbox.Deliver(Api.Host.Http, body, Sandbox.Sign(body))).StatusCode);
        var session = await Eventually.Read(() => Session(id, keys.SecretKey), s => RefundStatus(s) == "failed", Within);

        Assert.Equal("payment not captured", Assert.Single(session["late_payments"]!.AsArray())!["refund_failure_reason"]!.GetValue<string>());
        Assert.True(session["manual_review"]!.GetValue<bool>());
        Assert.Empty((await Api.Host.Grains.GetGrain<ISandboxPaymentGrain>(reference).GetPayment())!.Refunds);
    }

    [Fact]
    public async Task The_sandbox_refunds_once_per_refund_id_however_often_it_is_asked()
    {
        var (keys, _) = await Merchant(null);
        var id = await Create(keys.SecretKey);
        var reference = Sandbox.ReferenceFrom(await Pay(id, keys.SecretKey));
        Assert.True((await Api.Host.Grains.GetGrain<IBusinessGrain>(keys.BusinessId).SetLatePaymentPolicy(LatePaymentPolicy.Manual)).Accepted);
        await End(id, keys.SecretKey, "canceled");
        await Approve(Api.Host.BaseAddress + "sandbox/checkout/" + reference);
        var sandbox = Api.Host.Grains.GetGrain<ISandboxPaymentGrain>(reference);
        var paymentId = (await sandbox.GetPayment())!.PaymentId!;

        var first = await sandbox.Refund(new SandboxRefundRequest("lrf_once", paymentId, 10000, "USD"));
        var again = await sandbox.Refund(new SandboxRefundRequest("lrf_once", paymentId, 10000, "USD"));
        var more = await sandbox.Refund(new SandboxRefundRequest("lrf_other", paymentId, 1, "USD"));
        var wrong = await sandbox.Refund(new SandboxRefundRequest("lrf_wrong", "sbxpay_someone_else", 1, "USD"));

        Assert.True(first.Refunded);
        Assert.Equal(first, again);
        Assert.Equal((false, "amount exceeds what is left to refund"), (more.Refunded, more.Error));
        Assert.Equal((false, "unknown payment id"), (wrong.Refunded, wrong.Error));
        var refund = Assert.Single((await sandbox.GetPayment())!.Refunds);
        Assert.Equal(("lrf_once", 10000L, 2), (refund.RefundId, refund.Amount, refund.Requests));
    }

    [Fact]
    public async Task A_xendit_session_refunds_in_its_envelope_and_an_accepted_one_sends_payment_session_completed()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var (keys, _) = await Merchant(receiver.Url);
        var token = (await Api.Host.Grains.GetGrain<IBusinessGrain>(keys.BusinessId).RotateCallbackToken()).Token;

        var refunded = await XenditTestSessions.Create(Api, keys.SecretKey, SessionType.Pay);
        await PayAndCancelXendit(refunded, keys.SecretKey);
        var told = await receiver.WaitFor(d => d.Count >= 2, Within);
        // Two appends, two webhooks, sent in parallel: either may arrive first.
        Assert.Equal(["session.late_payment", "session.late_payment_refunded"], told.Select(d => JsonNode.Parse(d.Body)!["event"]!.GetValue<string>()).Order(StringComparer.Ordinal));
        Assert.All(told, d => Assert.Equal(token, d.CallbackToken));
        var payment = told.Select(d => JsonNode.Parse(d.Body)!).Single(b => b["event"]!.GetValue<string>() == "session.late_payment_refunded")["payment"]!;
        Assert.Equal("refunded", payment["status"]!.GetValue<string>());
        Assert.Equal(10000.00m, payment["amount"]!.GetValue<decimal>());
        Assert.False(payment["refund_required"]!.GetValue<bool>());
        Assert.Equal("CANCELED", (await XenditSession(refunded, keys.SecretKey))["status"]!.GetValue<string>());

        Assert.True((await Api.Host.Grains.GetGrain<IBusinessGrain>(keys.BusinessId).SetLatePaymentPolicy(LatePaymentPolicy.Accept)).Accepted);
        var accepted = await XenditTestSessions.Create(Api, keys.SecretKey, SessionType.Pay);
        await PayAndCancelXendit(accepted, keys.SecretKey);
        var all = await receiver.WaitFor(d => d.Count >= 4, Within);
        // As above, the late payment's webhook and the completion's go out in parallel.
        var second = all.Skip(2).Select(d => JsonNode.Parse(d.Body)!).ToList();
        Assert.Equal(["payment_session.completed", "session.late_payment"], second.Select(b => b["event"]!.GetValue<string>()).Order(StringComparer.Ordinal));
        var completed = second.Single(b => b["event"]!.GetValue<string>() == "payment_session.completed");
        var session = await XenditSession(accepted, keys.SecretKey);
        Assert.Equal("COMPLETED", session["status"]!.GetValue<string>());
        Assert.StartsWith("py-", session["payment_id"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.True(JsonNode.DeepEquals(session, completed["data"]), $"webhook data {completed["data"]} differs from GET {session}");
    }

    [Fact]
    public async Task Under_the_manual_policy_a_late_payment_on_a_xendit_session_shows_manual_review_on_its_object()
    {
        var (keys, _) = await Merchant(null);
        Assert.True((await Api.Host.Grains.GetGrain<IBusinessGrain>(keys.BusinessId).SetLatePaymentPolicy(LatePaymentPolicy.Manual)).Accepted);
        var id = await XenditTestSessions.Create(Api, keys.SecretKey, SessionType.Pay);
        Assert.False((await XenditSession(id, keys.SecretKey))["manual_review"]!.GetValue<bool>());

        await PayAndCancelXendit(id, keys.SecretKey);
        var session = await Eventually.Read(() => XenditSession(id, keys.SecretKey), s => s["manual_review"]!.GetValue<bool>(), Within);

        Assert.Equal("CANCELED", session["status"]!.GetValue<string>());
        Assert.Equal((null, true), await Rows(id));
    }

    [Fact]
    public async Task The_policy_command_refuses_an_unknown_policy_and_the_listing_shows_the_policy()
    {
        var (keys, _) = await Merchant(null);

        var (refused, why) = await MerchantsCli.Run(Api.Host, "merchants", "set-late-payment-policy", keys.BusinessId, "keep");
        var (missing, notRegistered) = await MerchantsCli.Run(Api.Host, "merchants", "set-late-payment-policy", "biz_nobody_" + Guid.NewGuid().ToString("N")[..8], "manual");

        Assert.Equal(1, refused);
        Assert.Contains("expected refund, accept or manual", why, StringComparison.Ordinal);
        Assert.Equal(1, missing);
        Assert.Contains("is not registered", notRegistered, StringComparison.Ordinal);
        Assert.Equal(LatePaymentPolicy.Refund, await Api.Host.Grains.GetGrain<IBusinessGrain>(keys.BusinessId).GetLatePaymentPolicy());

        Assert.Equal(0, (await MerchantsCli.Run(Api.Host, "merchants", "set-late-payment-policy", keys.BusinessId, "Manual")).Code);
        var (listed, listing) = await MerchantsCli.Run(Api.Host, "merchants", "list");
        Assert.Equal(0, listed);
        // The business's block: its own line, then its indented lines.
        var block = listing.Split('\n').SkipWhile(line => !line.StartsWith(keys.BusinessId, StringComparison.Ordinal)).Skip(1).TakeWhile(line => line.StartsWith("  ", StringComparison.Ordinal));
        Assert.Contains("  late payments: manual", block);
    }

    private async Task PayAndCancelXendit(string id, string secretKey)
    {
        var started = await Api.Host.Grains.InitiatePayment(id, new InitiatePayment("sandbox_card", null));
        Assert.Equal(InitiatePaymentOutcome.Initiated, started.Outcome);
        var canceled = await Api.Send(HttpMethod.Post, $"/sessions/{id}/cancel", key: null, body: null, request => request.Headers.Authorization = Basic(secretKey));
        Assert.Equal(HttpStatusCode.OK, canceled.StatusCode);
        await Approve(started.RedirectUrl!);
    }

    private async Task<JsonObject> XenditSession(string id, string secretKey)
    {
        var response = await Api.Send(HttpMethod.Get, $"/sessions/{id}", key: null, body: null, request => request.Headers.Authorization = Basic(secretKey));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await Bodies.Json(response);
    }

    private static AuthenticationHeaderValue Basic(string secretKey) =>
        new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(secretKey + ":")));

    private async Task ReportAcmeSuccess(string reference, string paymentId)
    {
        var body = JsonSerializer.SerializeToUtf8Bytes(
            new ProviderWebhookMessage(ProviderWebhookMessage.Succeeded, reference, paymentId, null, 10000, "USD"), ProviderWebhookMessage.Json);
        using var webhook = new HttpRequestMessage(HttpMethod.Post, new Uri("/webhooks/acme", UriKind.Relative)) { Content = new ByteArrayContent(body) };
        webhook.Headers.Add("Webhook-Signature", WebhookSignature.Sign(LatePaymentHostFixture.AcmeSecret, DateTimeOffset.UtcNow, body));
        Assert.Equal(HttpStatusCode.OK, (await Api.Host.Http.SendAsync(webhook)).StatusCode);
    }

    // A business of its own with the sandbox and acme methods; with a URL, its webhooks go there (the types named) and the secret comes back.
    private async Task<(IssuedKeys Keys, string Secret)> Merchant(string? webhookUrl, params string[] events)
    {
        var keys = await Api.NewBusiness("Late Shop");
        var business = Api.Host.Grains.GetGrain<IBusinessGrain>(keys.BusinessId);
        await business.EnablePaymentMethods(["sandbox_card", "acme_late_card"]);
        return (keys, webhookUrl is null ? "" : await business.ReceiveWebhooks(webhookUrl, events));
    }

    private async Task<string> Create(string secretKey)
    {
        var response = await Api.Post("/session", secretKey, Bodies.SeedExample(orderId: "order_" + Guid.NewGuid().ToString("N")[..16]).ToJsonString());
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await Bodies.Json(response))["session_id"]!.GetValue<string>();
    }

    private async Task<string> Pay(string id, string secretKey)
    {
        var response = await Api.Post($"/session/{id}/pay", secretKey, """{"paymentMethodId":"sandbox_card"}""");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await Bodies.Json(response))["redirect_url"]!.GetValue<string>();
    }

    // The customer approves on the sandbox's checkout page, whatever the session's state: the money is real.
    private static async Task Approve(string redirect)
    {
        using var customer = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false });
        var approved = await customer.PostAsync(new Uri(redirect + "/approve"), null);
        Assert.True(approved.StatusCode is HttpStatusCode.OK or HttpStatusCode.SeeOther, $"approve answered {approved.StatusCode}");
    }

    private async Task End(string id, string secretKey, string ending)
    {
        if (ending == "canceled")
        {
            Assert.Equal(HttpStatusCode.OK, (await Api.Post($"/session/{id}/cancel", secretKey, "")).StatusCode);
            return;
        }

        var session = await Eventually.Read(() => Session(id, secretKey), s => s["status"]!.GetValue<string>() == "expired", Within);
        Assert.Equal("expired", session["status"]!.GetValue<string>());
    }

    private static string Capitalised(string ending) => char.ToUpperInvariant(ending[0]) + ending[1..];

    private static string? RefundStatus(JsonObject session) =>
        session["late_payments"]!.AsArray() is [var late, ..] ? late?["refund_status"]?.GetValue<string>() : null;

    private async Task<JsonObject> Session(string id, string secretKey) => await Bodies.Json(await Api.Get($"/session/{id}", secretKey));

    private async Task<List<string>> EventTypes(string id, string secretKey)
    {
        var log = await Bodies.Json(await Api.Get($"/session/{id}/events", secretKey));
        return [.. log["events"]!.AsArray().Select(e => e!["type"]!.GetValue<string>())];
    }

    private async Task<string> ProjectedStatus(string id)
    {
        await using var db = NpgsqlDataSource.Create(Api.Host.ConnectionString);
        await using var command = db.CreateCommand("SELECT status FROM sessions WHERE session_id = $1");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = id });
        return (string)(await command.ExecuteScalarAsync())!;
    }

    // The refund queue's row for the session (null: none) and the projection's manual_review.
    private async Task<(string? RefundRow, bool ManualReview)> Rows(string id)
    {
        await using var db = NpgsqlDataSource.Create(Api.Host.ConnectionString);
        await using var refund = db.CreateCommand("SELECT status FROM late_refunds WHERE session_id = $1");
        refund.Parameters.Add(new NpgsqlParameter<string> { TypedValue = id });
        var row = (string?)await refund.ExecuteScalarAsync();
        await using var flag = db.CreateCommand("SELECT manual_review FROM sessions WHERE session_id = $1");
        flag.Parameters.Add(new NpgsqlParameter<string> { TypedValue = id });
        return (row, (bool)(await flag.ExecuteScalarAsync())!);
    }
}
