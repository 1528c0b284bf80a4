using System.Text.Json;
using System.Text.Json.Nodes;
using PaySessions.Grains.Sessions;
using PaySessions.Grains.Sessions.Events;
using PaySessions.Grains.Sessions.Xendit;
using PaySessions.Grains.Webhooks;
using PaySessions.Tests.Infrastructure;

namespace PaySessions.Tests.Webhooks;

/// <summary>
/// A Xendit-dialect session's merchant webhooks: only the two session events that provider sends
/// (plus money the session cannot keep), in its envelope, with the session object as data, and
/// flagged to carry the callback token; a Payviox session's are unflagged.
/// </summary>
public sealed class XenditWebhookBodyTests
{
    private static readonly DateTimeOffset At = new(2026, 12, 1, 10, 0, 0, TimeSpan.Zero);
    private static readonly PaymentLinks Links = new("https://pay.example.test/");

    [Fact]
    public void Only_completed_expired_late_and_mismatched_money_are_told_and_each_carries_the_callback_token()
    {
        var created = Created();
        var initiated = Initiated();
        var mismatch = new PaymentMismatch
        {
            EventId = Guid.NewGuid(), OccurredAt = At.AddMinutes(2), Provider = "sandbox", ProviderReference = "sbx_ref",
            ProviderPaymentId = "sbxpay_short", Amount = 1050, Currency = "PHP", ExpectedAmount = 1000000, ExpectedCurrency = "PHP",
        };
        var completed = new Completed
        {
            EventId = Guid.NewGuid(), OccurredAt = At.AddMinutes(3), Provider = "sandbox", ProviderPaymentId = "sbxpay_1",
            ProviderReference = "sbx_ref", PaymentId = "py-ac1fcd3e-21c5-4c70-bb06-fa3c34e19e0c",
        };
        var late = new LatePaymentReceived
        {
            EventId = Guid.NewGuid(), OccurredAt = At.AddMinutes(4), Provider = "sandbox", ProviderReference = "sbx_ref",
            ProviderPaymentId = "sbxpay_2", Amount = 1000000, Currency = "PHP", ExpectedAmount = 1000000, ExpectedCurrency = "PHP",
        };

        var webhooks = Webhooks("ps-661f87c614802d6c402cd82d", created, initiated, mismatch, completed, late);

        Assert.Equal([null, null, "session.payment_mismatch", "payment_session.completed", "session.late_payment"], webhooks.Select(w => w?.Type));
        Assert.All(webhooks.Skip(2), w => Assert.True(w!.SendsCallbackToken));

        var done = JsonNode.Parse(webhooks[3]!.Payload)!.AsObject();
        Assert.Equal(["event", "business_id", "created", "data"], done.Select(p => p.Key));
        Assert.Equal("2026-12-01T10:03:00Z", done["created"]!.GetValue<string>());
        Assert.Equal("COMPLETED", done["data"]!["status"]!.GetValue<string>());
        Assert.Equal("py-ac1fcd3e-21c5-4c70-bb06-fa3c34e19e0c", done["data"]!["payment_id"]!.GetValue<string>());
        Assert.Equal("pr-0800fe40-bb79-47ae-9d1e-e69394d3949c", done["data"]!["payment_request_id"]!.GetValue<string>());
        Assert.Equal("https://pay.example.test/pay/ps-661f87c614802d6c402cd82d", done["data"]!["payment_link_url"]!.GetValue<string>());

        var short_ = JsonNode.Parse(webhooks[2]!.Payload)!;
        Assert.Equal("ACTIVE", short_["data"]!["status"]!.GetValue<string>());
        Assert.Equal(
            """{"status":"mismatch","payment_request_id":"pr-0800fe40-bb79-47ae-9d1e-e69394d3949c","provider":"sandbox","provider_reference":"sbx_ref","provider_payment_id":"sbxpay_short","amount":10.50,"currency":"PHP","expected_amount":10000.00,"expected_currency":"PHP","refund_required":true}""",
            short_["payment"]!.ToJsonString());
        Assert.Equal("COMPLETED", JsonNode.Parse(webhooks[4]!.Payload)!["data"]!["status"]!.GetValue<string>());
    }

    [Fact]
    public void The_data_is_the_session_object_as_get_renders_it_and_the_bytes_are_the_same_each_time()
    {
        var created = Created();
        var expired = new Expired { EventId = Guid.NewGuid(), OccurredAt = At.AddMinutes(30) };
        var state = new PaymentSessionState();
        state.Apply(created);
        state.Apply(expired);

        var first = SessionWebhooks.For("ps-661f87c614802d6c402cd82d", state, expired, 2, Links)!;
        var again = SessionWebhooks.For("ps-661f87c614802d6c402cd82d", state, expired, 2, Links)!;
        var rendered = JsonSerializer.Serialize(
            XenditSessionObject.From(state.ToSnapshot("ps-661f87c614802d6c402cd82d", 2), Links), XenditSessionObject.Json);

        Assert.Equal("payment_session.expired", first.Type);
        Assert.Equal(first.Payload, again.Payload);
        Assert.Equal(rendered, JsonNode.Parse(first.Payload)!["data"]!.ToJsonString());
        Assert.Equal("EXPIRED", JsonNode.Parse(first.Payload)!["data"]!["status"]!.GetValue<string>());
    }

    [Fact]
    public void A_payviox_sessions_webhooks_do_not_carry_the_callback_token()
    {
        var created = TestSessions.CreatedEvent("biz", "order", At);
        var canceled = new Canceled { EventId = Guid.NewGuid(), OccurredAt = At.AddMinutes(1) };
        var state = new PaymentSessionState();
        state.Apply(created);
        state.Apply(canceled);

        var webhook = SessionWebhooks.For("sess", state, canceled, 2, Links)!;

        Assert.Equal("session.canceled", webhook.Type);
        Assert.False(webhook.SendsCallbackToken);
    }

    private static Created Created() => new()
    {
        EventId = Guid.NewGuid(),
        OccurredAt = At,
        BusinessId = "661f87c614802d6c402cd82d",
        OrderId = "order_12345",
        Customer = "cust-b98d6f63-d240-44ec-9bd5-aa42954c4f48",
        Amount = 1000000,
        Currency = "PHP",
        Items = [],
        ExpiresAt = At.AddMinutes(30),
        Dialect = SessionDialect.Xendit,
        SessionType = SessionType.Pay,
        Xendit = new XenditSessionDetails
        {
            CustomerId = "cust-b98d6f63-d240-44ec-9bd5-aa42954c4f48",
            Mode = IntegrationMode.PaymentLink,
            Country = "PH",
            AmountAsSent = 10000.00m,
        },
    };

    private static PaymentInitiated Initiated() => new()
    {
        EventId = Guid.NewGuid(),
        OccurredAt = At.AddMinutes(1),
        PaymentMethodId = "sandbox_card",
        Provider = "sandbox",
        ProviderReference = "sbx_ref",
        Amount = 1000000,
        Currency = "PHP",
        PaymentRequestId = "pr-0800fe40-bb79-47ae-9d1e-e69394d3949c",
    };

    private static List<OutboundWebhook?> Webhooks(string sessionId, params PaymentSessionEvent[] events)
    {
        var state = new PaymentSessionState();
        var webhooks = new List<OutboundWebhook?>();
        for (var i = 0; i < events.Length; i++)
        {
            state.Apply(events[i]);
            webhooks.Add(SessionWebhooks.For(sessionId, state, events[i], i + 1, Links));
        }

        return webhooks;
    }
}
