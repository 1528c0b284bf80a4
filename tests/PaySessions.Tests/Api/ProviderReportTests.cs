using System.Net;
using System.Text.Json.Nodes;
using PaySessions.Tests.Infrastructure;

namespace PaySessions.Tests.Api;

/// <summary>
/// A provider's success counts only in the figures the attempt asked for (the seed example:
/// 10000 minor units of USD). Everything else is kept, flagged for refund, and shown.
/// </summary>
[Collection(ApiCollection.Name)]
public sealed class ProviderReportTests(ApiFixture api)
{
    [Theory]
    [InlineData(9999, "USD")]
    [InlineData(1, "USD")]
    [InlineData(10001, "USD")]
    [InlineData(10000, "EUR")]
    public async Task A_success_in_other_figures_than_the_attempt_asked_does_not_complete_the_session(long amount, string currency)
    {
        var id = await Create();
        var reference = Sandbox.ReferenceFrom(await Pay(id));
        var body = Sandbox.Body(reference, succeeded: true, paymentId: "pay_wrong_" + amount, amount: amount, currency: currency);

        var delivered = await Sandbox.Deliver(api.Host.Http, body, Sandbox.Sign(body));

        Assert.Equal(HttpStatusCode.OK, delivered.StatusCode);
        Assert.Equal(["Created", "PaymentInitiated", "PaymentMismatch"], await EventTypes(id));
        var session = await Session(id);
        Assert.Equal("payment_initiated", session["status"]!.GetValue<string>());
        Assert.Null(session["payment"]);
        Assert.True(session["refund_required"]!.GetValue<bool>());
        Assert.Empty(session["late_payments"]!.AsArray());
        var mismatch = Assert.Single(session["payment_mismatches"]!.AsArray())!;
        Assert.Equal("sandbox", mismatch["provider"]!.GetValue<string>());
        Assert.Equal(reference, mismatch["provider_reference"]!.GetValue<string>());
        Assert.Equal("pay_wrong_" + amount, mismatch["provider_payment_id"]!.GetValue<string>());
        Assert.Equal(amount, mismatch["amount"]!.GetValue<long>());
        Assert.Equal(currency, mismatch["currency"]!.GetValue<string>());
        Assert.Equal(10000, mismatch["expected_amount"]!.GetValue<long>());
        Assert.Equal("USD", mismatch["expected_currency"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_currency_in_lower_case_is_the_same_currency()
    {
        var id = await Create();
        var reference = Sandbox.ReferenceFrom(await Pay(id));
        var body = Sandbox.Body(reference, succeeded: true, paymentId: "pay_lower", currency: "usd");

        Assert.Equal(HttpStatusCode.OK, (await Sandbox.Deliver(api.Host.Http, body, Sandbox.Sign(body))).StatusCode);

        Assert.Equal("completed", (await Session(id))["status"]!.GetValue<string>());
    }

    [Theory]
    [InlineData(null, "USD")]
    [InlineData(10000L, null)]
    [InlineData(-10000L, "USD")]
    [InlineData(10000L, "US1")]
    [InlineData(10000L, "USDX")]
    public async Task A_success_that_does_not_say_what_was_taken_is_malformed_and_changes_nothing(long? amount, string? currency)
    {
        var id = await Create();
        var reference = Sandbox.ReferenceFrom(await Pay(id));
        var body = Sandbox.Body(reference, succeeded: true, paymentId: "pay_vague", amount: amount, currency: currency);

        var delivered = await Sandbox.Deliver(api.Host.Http, body, Sandbox.Sign(body));

        Assert.Equal(HttpStatusCode.BadRequest, delivered.StatusCode);
        Assert.Equal(["Created", "PaymentInitiated"], await EventTypes(id));
    }

    [Fact]
    public async Task The_same_mismatch_reported_twice_is_recorded_once()
    {
        var id = await Create();
        var reference = Sandbox.ReferenceFrom(await Pay(id));
        var body = Sandbox.Body(reference, succeeded: true, paymentId: "pay_twice", amount: 1, currency: "JPY");

        var first = await Sandbox.Deliver(api.Host.Http, body, Sandbox.Sign(body));
        var again = await Sandbox.Deliver(api.Host.Http, body, Sandbox.Sign(body));

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal(["Created", "PaymentInitiated", "PaymentMismatch"], await EventTypes(id));
        Assert.Single((await Session(id))["payment_mismatches"]!.AsArray());
    }

    [Fact]
    public async Task After_a_mismatch_the_customer_pays_the_right_amount_and_the_session_completes()
    {
        var id = await Create();
        var wrong = await Pay(id);
        var body = Sandbox.Body(Sandbox.ReferenceFrom(wrong), succeeded: true, paymentId: "pay_short", amount: 5000, currency: "USD");
        Assert.Equal(HttpStatusCode.OK, (await Sandbox.Deliver(api.Host.Http, body, Sandbox.Sign(body))).StatusCode);

        // The mismatched attempt is settled, so the same method starts a new attempt.
        var right = await Pay(id);
        Assert.NotEqual(wrong, right);
        Assert.Equal(HttpStatusCode.OK, (await api.Host.Http.PostAsync(new Uri(right + "/approve"), null)).StatusCode);

        Assert.Equal(["Created", "PaymentInitiated", "PaymentMismatch", "PaymentInitiated", "Completed"], await EventTypes(id));
        var session = await Session(id);
        Assert.Equal("completed", session["status"]!.GetValue<string>());
        Assert.True(session["refund_required"]!.GetValue<bool>(), "the short payment still has to go back");
        Assert.Equal(5000, Assert.Single(session["payment_mismatches"]!.AsArray())!["amount"]!.GetValue<long>());
    }

    [Fact]
    public async Task A_success_after_the_session_ended_keeps_both_figures_even_when_they_differ()
    {
        var id = await Create();
        var reference = Sandbox.ReferenceFrom(await Pay(id));
        await api.Post($"/session/{id}/cancel", ApiFixture.DevSecretKey, "");
        var body = Sandbox.Body(reference, succeeded: true, paymentId: "pay_late_eur", amount: 9000, currency: "EUR");

        Assert.Equal(HttpStatusCode.OK, (await Sandbox.Deliver(api.Host.Http, body, Sandbox.Sign(body))).StatusCode);

        // The refund worker (the default policy) appends the refund's outcome after these.
        Assert.Equal(["Created", "PaymentInitiated", "Canceled", "LatePaymentReceived"], (await EventTypes(id)).Take(4));
        var session = await Session(id);
        Assert.Equal("canceled", session["status"]!.GetValue<string>());
        Assert.True(session["refund_required"]!.GetValue<bool>());
        Assert.Empty(session["payment_mismatches"]!.AsArray());
        var late = Assert.Single(session["late_payments"]!.AsArray())!;
        Assert.Equal("pay_late_eur", late["provider_payment_id"]!.GetValue<string>());
        Assert.Equal(9000, late["amount"]!.GetValue<long>());
        Assert.Equal("EUR", late["currency"]!.GetValue<string>());
        Assert.Equal(10000, late["expected_amount"]!.GetValue<long>());
        Assert.Equal("USD", late["expected_currency"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_session_with_nothing_to_refund_shows_empty_lists()
    {
        var session = await Session(await Create());

        Assert.False(session["refund_required"]!.GetValue<bool>());
        Assert.Empty(session["late_payments"]!.AsArray());
        Assert.Empty(session["payment_mismatches"]!.AsArray());
    }

    private async Task<string> Create()
    {
        var response = await api.Post("/session", ApiFixture.DevSecretKey, Bodies.SeedExample().ToJsonString());
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await Bodies.Json(response))["session_id"]!.GetValue<string>();
    }

    private async Task<string> Pay(string id)
    {
        var response = await api.Post($"/session/{id}/pay", ApiFixture.DevSecretKey, """{"paymentMethodId":"sandbox_card"}""");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await Bodies.Json(response))["redirect_url"]!.GetValue<string>();
    }

    private async Task<JsonObject> Session(string id) => await Bodies.Json(await api.Get($"/session/{id}", ApiFixture.DevSecretKey));

    private async Task<List<string>> EventTypes(string id)
    {
        var log = await Bodies.Json(await api.Get($"/session/{id}/events", ApiFixture.DevSecretKey));
        return [.. log["events"]!.AsArray().Select(e => e!["type"]!.GetValue<string>())];
    }
}
