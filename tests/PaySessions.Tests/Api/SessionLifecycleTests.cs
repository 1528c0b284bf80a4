using System.Net;
using System.Text.Json.Nodes;
using PaySessions.Grains.Sessions;
using PaySessions.Tests.Infrastructure;

namespace PaySessions.Tests.Api;

[Collection(ApiCollection.Name)]
public sealed class SessionLifecycleTests(ApiFixture api)
{
    [Fact]
    public async Task Create_pay_with_the_sandbox_and_approve_completes_the_session()
    {
        var id = await Create();

        var methods = await Bodies.Json(await api.Get($"/session/{id}/payment-methods", ApiFixture.DevPublicKey));
        Assert.Equal(["sandbox_card", "sandbox_wallet"], methods["payment_methods"]!.AsArray().Select(m => m!["id"]!.GetValue<string>()));
        Assert.Equal("redirect", methods["payment_methods"]![0]!["type"]!.GetValue<string>());

        var pay = await api.Post($"/session/{id}/pay", ApiFixture.DevPublicKey, """{"paymentMethodId":"sandbox_card"}""");
        Assert.Equal(HttpStatusCode.OK, pay.StatusCode);
        var redirect = (await Bodies.Json(pay))["redirect_url"]!.GetValue<string>();
        Assert.StartsWith(api.Host.BaseAddress + "sandbox/checkout/sbx_", redirect, StringComparison.Ordinal);

        var page = await api.Host.Http.GetStringAsync(new Uri(redirect));
        Assert.Contains("Pay 100.00 USD", page, StringComparison.Ordinal);
        Assert.Contains("/approve", page, StringComparison.Ordinal);

        // The sandbox sends the customer back to the hosted page (the client follows the 303).
        var approved = await api.Host.Http.PostAsync(new Uri(redirect + "/approve"), null);
        Assert.Equal(HttpStatusCode.OK, approved.StatusCode);
        Assert.Equal($"/pay/{id}", approved.RequestMessage!.RequestUri!.AbsolutePath);
        Assert.Contains("Payment received", await approved.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        var session = await Bodies.Json(await api.Get($"/session/{id}", ApiFixture.DevSecretKey));
        Assert.Equal("completed", session["status"]!.GetValue<string>());
        Assert.Equal("sandbox", session["payment"]!["provider"]!.GetValue<string>());
        Assert.StartsWith("sbxpay_", session["payment"]!["provider_payment_id"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(["Created", "PaymentInitiated", "Completed"], await EventTypes(id));
    }

    [Fact]
    public async Task A_decline_is_recorded_and_the_customer_can_try_again()
    {
        var id = await Create();
        var first = await Pay(id, "sandbox_card");
        Assert.Equal(HttpStatusCode.OK, (await api.Host.Http.PostAsync(new Uri(first + "/decline"), null)).StatusCode);

        var afterDecline = await Bodies.Json(await api.Get($"/session/{id}", ApiFixture.DevSecretKey));
        Assert.Equal("payment_initiated", afterDecline["status"]!.GetValue<string>());

        var second = await Pay(id, "sandbox_wallet");
        await api.Host.Http.PostAsync(new Uri(second + "/approve"), null);

        Assert.Equal(["Created", "PaymentInitiated", "PaymentFailed", "PaymentInitiated", "Completed"], await EventTypes(id));
        var snapshot = await api.Host.Grains.GetGrain<IPaymentSessionGrain>(id).GetSnapshot();
        Assert.Equal(1, snapshot!.FailedAttempts);
        Assert.Equal("sandbox_wallet", snapshot.Payment!.PaymentMethodId);
    }

    [Fact]
    public async Task A_payment_method_on_create_redirects_directly()
    {
        var body = Bodies.SeedExample();
        body["paymentMethodId"] = "sandbox_card";

        var response = await api.Post("/session", ApiFixture.DevSecretKey, body.ToJsonString());

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var json = await Bodies.Json(response);
        Assert.Equal(["session_id", "redirect_url"], json.Select(p => p.Key));
        Assert.Contains("/sandbox/checkout/sbx_", json["redirect_url"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(["Created", "PaymentInitiated"], await EventTypes(json["session_id"]!.GetValue<string>()));
    }

    [Fact]
    public async Task A_method_that_does_not_fit_the_currency_is_not_offered_and_cannot_be_used()
    {
        var body = Bodies.SeedExample();
        body["currency"] = "JPY";
        var id = await Create(body);

        var methods = await Bodies.Json(await api.Get($"/session/{id}/payment-methods", ApiFixture.DevSecretKey));
        var pay = await api.Post($"/session/{id}/pay", ApiFixture.DevSecretKey, """{"paymentMethodId":"sandbox_wallet"}""");

        Assert.Equal(["sandbox_card"], methods["payment_methods"]!.AsArray().Select(m => m!["id"]!.GetValue<string>()));
        Assert.Equal(HttpStatusCode.BadRequest, pay.StatusCode);
        Assert.Equal("""{"error":"Payment method not found"}""", await pay.Content.ReadAsStringAsync());
        Assert.Equal(["Created"], await EventTypes(id));
    }

    [Fact]
    public async Task The_owner_cancels_an_open_session_once_and_a_second_cancel_is_409()
    {
        var id = await Create();

        var canceled = await api.Post($"/session/{id}/cancel", ApiFixture.DevSecretKey, "");
        var again = await api.Post($"/session/{id}/cancel", ApiFixture.DevSecretKey, "");
        var pay = await api.Post($"/session/{id}/pay", ApiFixture.DevSecretKey, """{"paymentMethodId":"sandbox_card"}""");
        var withPublicKey = await api.Post($"/session/{id}/cancel", ApiFixture.DevPublicKey, "");

        Assert.Equal(HttpStatusCode.OK, canceled.StatusCode);
        Assert.Equal("canceled", (await Bodies.Json(canceled))["status"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.Equal("""{"error":"Session is canceled"}""", await again.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.Conflict, pay.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, withPublicKey.StatusCode);
        Assert.Equal(["Created", "Canceled"], await EventTypes(id));
    }

    [Fact]
    public async Task Paying_from_another_address_than_the_sessions_ip_is_403_and_appends_nothing()
    {
        var body = Bodies.SeedExample();
        body["ip"] = "203.0.113.42";
        var id = await Create(body);

        var fromBrowser = await api.Post($"/session/{id}/pay", ApiFixture.DevPublicKey, """{"paymentMethodId":"sandbox_card"}""");
        var fromServer = await api.Post($"/session/{id}/pay", ApiFixture.DevSecretKey, """{"paymentMethodId":"sandbox_card","ip":"198.51.100.1"}""");
        var fromTheRightUser = await api.Post($"/session/{id}/pay", ApiFixture.DevSecretKey, """{"paymentMethodId":"sandbox_card","ip":"203.0.113.42"}""");

        Assert.Equal(HttpStatusCode.Forbidden, fromBrowser.StatusCode);
        Assert.Equal("""{"error":"IP mismatch"}""", await fromBrowser.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.Forbidden, fromServer.StatusCode);
        Assert.Equal(HttpStatusCode.OK, fromTheRightUser.StatusCode);
        Assert.Equal(["Created", "PaymentInitiated"], await EventTypes(id));
    }

    [Theory]
    [InlineData("{}")]
    [InlineData("""{"paymentMethodId":null}""")]
    [InlineData("""{"paymentMethodId":42}""")]
    public async Task Pay_without_a_method_is_a_field_error(string body)
    {
        var id = await Create();

        var response = await api.Post($"/session/{id}/pay", ApiFixture.DevPublicKey, body);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True((await Bodies.Errors(response)).ContainsKey("paymentMethodId"));
    }

    [Fact]
    public async Task A_forged_or_stale_provider_webhook_is_401_and_changes_nothing()
    {
        var id = await Create();
        var reference = Sandbox.ReferenceFrom(await Pay(id, "sandbox_card"));
        var body = Sandbox.Body(reference, succeeded: true, paymentId: "pay_forged");

        var unsigned = await Sandbox.Deliver(api.Host.Http, body, null);
        var forged = await Sandbox.Deliver(api.Host.Http, body, Sandbox.Sign(body, secret: "whsec_attacker"));
        var stale = await Sandbox.Deliver(api.Host.Http, body, Sandbox.Sign(body, DateTimeOffset.UtcNow.AddMinutes(-6)));
        var tampered = await Sandbox.Deliver(api.Host.Http, Sandbox.Body(reference, succeeded: true, paymentId: "pay_other"), Sandbox.Sign(body));

        Assert.All([unsigned, forged, stale, tampered], r => Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode));
        Assert.Equal(["Created", "PaymentInitiated"], await EventTypes(id));
    }

    [Fact]
    public async Task A_duplicate_provider_webhook_appends_nothing()
    {
        var id = await Create();
        var reference = Sandbox.ReferenceFrom(await Pay(id, "sandbox_card"));
        var body = Sandbox.Body(reference, succeeded: true, paymentId: "pay_dup_1");

        var first = await Sandbox.Deliver(api.Host.Http, body, Sandbox.Sign(body));
        var replay = await Sandbox.Deliver(api.Host.Http, body, Sandbox.Sign(body));

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, replay.StatusCode);
        Assert.Equal(["Created", "PaymentInitiated", "Completed"], await EventTypes(id));
    }

    [Fact]
    public async Task A_success_after_cancel_is_kept_and_flagged_for_refund()
    {
        var id = await Create();
        var reference = Sandbox.ReferenceFrom(await Pay(id, "sandbox_card"));
        await api.Post($"/session/{id}/cancel", ApiFixture.DevSecretKey, "");
        var body = Sandbox.Body(reference, succeeded: true, paymentId: "pay_late_1");

        var delivered = await Sandbox.Deliver(api.Host.Http, body, Sandbox.Sign(body));

        Assert.Equal(HttpStatusCode.OK, delivered.StatusCode);
        var session = await Bodies.Json(await api.Get($"/session/{id}", ApiFixture.DevSecretKey));
        Assert.Equal("canceled", session["status"]!.GetValue<string>());
        Assert.True(session["refund_required"]!.GetValue<bool>());
        // The refund worker (the default policy) appends the refund's outcome after these.
        Assert.Equal(["Created", "PaymentInitiated", "Canceled", "LatePaymentReceived"], (await EventTypes(id)).Take(4));
    }

    [Fact]
    public async Task A_provider_webhook_over_one_MiB_is_413_even_when_chunked()
    {
        var huge = new byte[(1024 * 1024) + 100];
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri("/webhooks/sandbox", UriKind.Relative))
        {
            Content = new StreamContent(new MemoryStream(huge)),
        };
        request.Headers.TransferEncodingChunked = true;

        var response = await api.Host.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
    }

    [Fact]
    public async Task A_webhook_for_an_unknown_reference_or_provider_is_404()
    {
        var body = Sandbox.Body("sbx_000000000000000000000000", succeeded: true);

        var unknownReference = await Sandbox.Deliver(api.Host.Http, body, Sandbox.Sign(body));
        var unknownProvider = await api.Host.Http.PostAsync(new Uri("/webhooks/nope", UriKind.Relative), new ByteArrayContent(body));

        Assert.Equal(HttpStatusCode.NotFound, unknownReference.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, unknownProvider.StatusCode);
    }

    [Fact]
    public async Task Completion_and_cancels_racing_over_http_end_in_exactly_one_terminal_event()
    {
        // Expiry takes part in Sessions/TerminalRaceTests, where a fake clock reaches the deadline.
        for (var round = 0; round < 5; round++)
        {
            var id = await Create();
            var reference = Sandbox.ReferenceFrom(await Pay(id, "sandbox_card"));
            var grain = api.Host.Grains.GetGrain<IPaymentSessionGrain>(id);
            var body = Sandbox.Body(reference, succeeded: true, paymentId: $"pay_race_{round}");

            await Task.WhenAll(
                Sandbox.Deliver(api.Host.Http, body, Sandbox.Sign(body)),
                api.Post($"/session/{id}/cancel", ApiFixture.DevSecretKey, ""),
                grain.Cancel("race"));

            var types = await EventTypes(id);
            Assert.Single(types, t => t is "Completed" or "Canceled" or "Expired");
            Assert.Equal(types.Contains("Canceled"), types.Contains("LatePaymentReceived"));
        }
    }

    private async Task<string> Create(JsonObject? body = null)
    {
        var response = await api.Post("/session", ApiFixture.DevSecretKey, (body ?? Bodies.SeedExample()).ToJsonString());
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await Bodies.Json(response))["session_id"]!.GetValue<string>();
    }

    private async Task<string> Pay(string id, string method)
    {
        var response = await api.Post($"/session/{id}/pay", ApiFixture.DevSecretKey, $$"""{"paymentMethodId":"{{method}}"}""");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await Bodies.Json(response))["redirect_url"]!.GetValue<string>();
    }

    private async Task<List<string>> EventTypes(string id)
    {
        var log = await Bodies.Json(await api.Get($"/session/{id}/events", ApiFixture.DevSecretKey));
        return [.. log["events"]!.AsArray().Select(e => e!["type"]!.GetValue<string>())];
    }
}
