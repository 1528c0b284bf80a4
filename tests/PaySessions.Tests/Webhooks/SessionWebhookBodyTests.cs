using System.Text.Json.Nodes;
using PaySessions.Grains.Sessions;
using PaySessions.Grains.Sessions.Events;
using PaySessions.Grains.Webhooks;
using PaySessions.Tests.Infrastructure;

namespace PaySessions.Tests.Webhooks;

/// <summary>
/// Merchant webhook bodies are chosen by the dialect recorded on Created; a Payviox session's are
/// Payviox's documented body, these exact bytes (a merchant's signature check and parser depend on
/// them), with its event names where Payviox has the event and ours where it has none.
/// </summary>
public sealed class SessionWebhookBodyTests
{
    private static readonly DateTimeOffset At = new(2026, 12, 1, 10, 0, 0, TimeSpan.Zero);

    private static readonly Created Facts = TestSessions.CreatedEvent("biz_golden", "order_golden", At) with
    {
        EventId = Guid.Parse("00000000-0000-0000-0000-000000000001"),
        Metadata = new Dictionary<string, string> { ["plan"] = "premium", ["integration_session_id"] = "merchant's own" },
        Items = [new LineItem("Premium Plan", 2, 4000), new LineItem("Setup", 1, 2000)],
        Livemode = false,
    };

    private static readonly PaymentInitiated Initiated = new()
    {
        EventId = Guid.Parse("00000000-0000-0000-0000-000000000002"),
        OccurredAt = At.AddMinutes(1),
        PaymentMethodId = "sandbox_card",
        Provider = "sandbox",
        ProviderReference = "sbx_ref",
        Amount = 10000,
        Currency = "USD",
    };

    [Fact]
    public void A_payviox_sessions_webhooks_are_byte_for_byte_the_documented_body()
    {
        var completed = new Completed
        {
            EventId = Guid.Parse("00000000-0000-0000-0000-000000000003"),
            OccurredAt = At.AddMinutes(2),
            Provider = "sandbox",
            ProviderPaymentId = "sbxpay_1",
            ProviderReference = "sbx_ref",
            Fees = 350,
        };

        var bodies = Webhooks("sess_golden", Facts, Initiated, completed);

        Assert.Equal(
            [
                null,
                """{"amount":10000,"currency":"USD","fees":null,"metadata":{"integration_session_id":"sess_golden","plan":"premium"},"type":"session.payment_initiated","provider":"sandbox","order_id":"order_golden","items":[{"name":"Premium Plan","quantity":2,"price":4000},{"name":"Setup","quantity":1,"price":2000}],"payment_method":"sandbox_card","sequence":2,"livemode":false}""",
                """{"amount":10000,"currency":"USD","fees":350,"metadata":{"integration_session_id":"sess_golden","plan":"premium"},"type":"succeeded","provider":"sandbox","order_id":"order_golden","items":[{"name":"Premium Plan","quantity":2,"price":4000},{"name":"Setup","quantity":1,"price":2000}],"payment_method":"sandbox_card","sequence":3,"livemode":false}""",
            ],
            bodies.Select(b => b?.Payload));
        Assert.Equal([null, "session.payment_initiated", "succeeded"], bodies.Select(b => b?.Type));
        Assert.All(bodies.Skip(1), b => Assert.Equal("biz_golden", b!.BusinessId));

        // Each is sent only to a business that chose its type, with Payviox's Signature header.
        Assert.Equal([null, "session.payment_initiated", "succeeded"], bodies.Select(b => b?.Subscription));
        Assert.All(bodies.Skip(1), b => Assert.True(b!.SignsBody));
        Assert.All(bodies.Skip(1), b => Assert.False(b!.SendsCallbackToken));
    }

    [Fact]
    public void A_completion_whose_provider_reported_the_payer_carries_customer_and_one_that_did_not_has_none()
    {
        var reported = new Completed
        {
            EventId = Guid.Parse("00000000-0000-0000-0000-000000000005"),
            OccurredAt = At.AddMinutes(2),
            Provider = "sandbox",
            ProviderPaymentId = "sbxpay_1",
            ProviderReference = "sbx_ref",
            CustomerDetails = new ProviderCustomerDetails
            {
                Name = "Jenny Rosen",
                Email = "jenny@example.com",
                Address = new ProviderAddress { Line1 = "8 rue de la Paix", City = "Paris", PostalCode = "75002", Country = "FR" },
            },
        };

        var withCustomer = JsonNode.Parse(Webhooks("sess_customer", Facts, Initiated, reported)[^1]!.Payload)!;
        var without = JsonNode.Parse(Webhooks("sess_nocustomer", Facts, Initiated, reported with { CustomerDetails = null })[^1]!.Payload)!;

        Assert.Equal(
            """{"name":"Jenny Rosen","email":"jenny@example.com","phone":null,"address":{"line1":"8 rue de la Paix","line2":null,"city":"Paris","state":null,"postal_code":"75002","country":"FR"}}""",
            withCustomer["customer"]!.ToJsonString());
        Assert.False(without.AsObject().ContainsKey("customer"));
    }

    [Fact]
    public void A_completion_whose_fees_are_not_known_says_null()
    {
        var completed = new Completed { EventId = Guid.NewGuid(), OccurredAt = At.AddMinutes(2), Provider = "sandbox", ProviderPaymentId = "sbxpay_1", ProviderReference = "sbx_ref" };

        var webhook = Webhooks("sess_nofees", Facts, Initiated, completed)[^1]!;

        Assert.Contains("\"fees\":null,", webhook.Payload, StringComparison.Ordinal);
        Assert.Equal("succeeded", webhook.Type);
    }

    [Fact]
    public void An_expiry_without_any_attempt_is_expired_with_no_provider_nor_method()
    {
        var expired = new Expired { EventId = Guid.NewGuid(), OccurredAt = At.AddDays(1) };

        var webhook = Webhooks("sess_expired", Facts, expired)[^1]!;

        Assert.Equal(
            """{"amount":10000,"currency":"USD","fees":null,"metadata":{"integration_session_id":"sess_expired","plan":"premium"},"type":"expired","provider":null,"order_id":"order_golden","items":[{"name":"Premium Plan","quantity":2,"price":4000},{"name":"Setup","quantity":1,"price":2000}],"payment_method":null,"sequence":2,"livemode":false}""",
            webhook.Payload);
        Assert.Equal("expired", webhook.Subscription);
    }

    [Fact]
    public void Paying_less_in_the_currency_asked_is_incomplete_with_the_amount_remaining()
    {
        var underpaid = Mismatch(amount: 6500, currency: "USD");

        var webhook = Webhooks("sess_short", Facts, Initiated, underpaid)[^1]!;

        Assert.Equal("incomplete", webhook.Type);
        Assert.Equal(
            """{"amount":10000,"currency":"USD","fees":null,"metadata":{"integration_session_id":"sess_short","plan":"premium"},"type":"incomplete","provider":"sandbox","order_id":"order_golden","items":[{"name":"Premium Plan","quantity":2,"price":4000},{"name":"Setup","quantity":1,"price":2000}],"payment_method":"sandbox_card","amount_remaining":3500,"sequence":3,"livemode":false,"payment":{"status":"mismatch","payment_method_id":"sandbox_card","provider":"sandbox","provider_reference":"sbx_ref","provider_payment_id":"pay_mm","amount":6500,"currency":"USD","expected_amount":10000,"expected_currency":"USD","refund_required":true}}""",
            webhook.Payload);
    }

    [Theory]
    [InlineData(10001, "USD")]
    [InlineData(10000, "EUR")]
    [InlineData(1, "JPY")]
    public void Paying_more_or_in_another_currency_keeps_our_payment_mismatch_name_and_no_amount_remaining(long amount, string currency)
    {
        var webhook = Webhooks("sess_other", Facts, Initiated, Mismatch(amount, currency))[^1]!;

        Assert.Equal("session.payment_mismatch", webhook.Type);
        var body = Body(webhook);
        Assert.Equal("session.payment_mismatch", body["type"]!.GetValue<string>());
        Assert.Null(body["amount_remaining"]);
        Assert.Equal(amount, body["payment"]!["amount"]!.GetValue<long>());
        Assert.True(body["payment"]!["refund_required"]!.GetValue<bool>());
    }

    [Fact]
    public void Events_payviox_lacks_keep_our_names_in_the_same_shape()
    {
        var canceled = new Canceled { EventId = Guid.NewGuid(), OccurredAt = At.AddMinutes(3), Reason = "merchant" };
        var late = new LatePaymentReceived
        {
            EventId = Guid.NewGuid(), OccurredAt = At.AddMinutes(4), Provider = "sandbox", ProviderReference = "sbx_ref", ProviderPaymentId = "pay_late",
            Amount = 10000, Currency = "USD",
        };

        var bodies = Webhooks("sess_ours", Facts, Initiated, canceled, late);

        Assert.Equal([null, "session.payment_initiated", "session.canceled", "session.late_payment"], bodies.Select(b => b?.Type));
        foreach (var webhook in bodies.Skip(1))
        {
            var body = Body(webhook);
            Assert.Equal(webhook!.Type, body["type"]!.GetValue<string>());
            Assert.Equal("sess_ours", body["metadata"]!["integration_session_id"]!.GetValue<string>());
            Assert.Equal(10000, body["amount"]!.GetValue<long>());
            Assert.Equal("order_golden", body["order_id"]!.GetValue<string>());
            Assert.Equal("sandbox", body["provider"]!.GetValue<string>());
            Assert.Equal(2, body["items"]!.AsArray().Count);
        }

        Assert.Equal("late", Body(bodies[3])["payment"]!["status"]!.GetValue<string>());
    }

    private static PaymentMismatch Mismatch(long amount, string currency) => new()
    {
        EventId = Guid.NewGuid(),
        OccurredAt = At.AddMinutes(2),
        Provider = "sandbox",
        ProviderReference = "sbx_ref",
        ProviderPaymentId = "pay_mm",
        Amount = amount,
        Currency = currency,
        ExpectedAmount = 10000,
        ExpectedCurrency = "USD",
    };

    private static JsonNode Body(OutboundWebhook? webhook) => JsonNode.Parse(webhook!.Payload)!;

    private static List<OutboundWebhook?> Webhooks(string sessionId, params PaymentSessionEvent[] events)
    {
        var state = new PaymentSessionState();
        var webhooks = new List<OutboundWebhook?>();
        for (var i = 0; i < events.Length; i++)
        {
            state.Apply(events[i]);
            webhooks.Add(SessionWebhooks.For(sessionId, state, events[i], i + 1));
        }

        return webhooks;
    }
}
