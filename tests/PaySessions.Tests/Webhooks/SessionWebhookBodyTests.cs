using PaySessions.Grains.Sessions;
using PaySessions.Grains.Sessions.Events;
using PaySessions.Grains.Webhooks;
using PaySessions.Tests.Infrastructure;

namespace PaySessions.Tests.Webhooks;

/// <summary>
/// Merchant webhook bodies are chosen by the dialect recorded on Created; a Payviox session's
/// are these exact bytes (a merchant's signature check and parser depend on them).
/// </summary>
public sealed class SessionWebhookBodyTests
{
    private static readonly DateTimeOffset At = new(2026, 12, 1, 10, 0, 0, TimeSpan.Zero);

    [Fact]
    public void A_payviox_sessions_webhooks_are_byte_for_byte_the_documented_body()
    {
        var created = TestSessions.CreatedEvent("biz_golden", "order_golden", At) with
        {
            EventId = Guid.Parse("00000000-0000-0000-0000-000000000001"),
            Metadata = new Dictionary<string, string> { ["plan"] = "premium" },
            Livemode = false,
        };
        var initiated = new PaymentInitiated
        {
            EventId = Guid.Parse("00000000-0000-0000-0000-000000000002"),
            OccurredAt = At.AddMinutes(1),
            PaymentMethodId = "sandbox_card",
            Provider = "sandbox",
            ProviderReference = "sbx_ref",
            Amount = 10000,
            Currency = "USD",
        };
        var completed = new Completed
        {
            EventId = Guid.Parse("00000000-0000-0000-0000-000000000003"),
            OccurredAt = At.AddMinutes(2),
            Provider = "sandbox",
            ProviderPaymentId = "sbxpay_1",
            ProviderReference = "sbx_ref",
        };

        var bodies = Webhooks("sess_golden", created, initiated, completed);

        Assert.Equal(
            [
                null,
                """{"id":"evt_00000000000000000000000000000002","type":"session.payment_initiated","created":1796119260,"sequence":2,"livemode":false,"data":{"session_id":"sess_golden","order_id":"order_golden","customer":"customer_abc123","status":"payment_initiated","amount":10000,"currency":"USD","metadata":{"plan":"premium"},"payment":{"status":"pending","payment_method_id":"sandbox_card","provider":"sandbox","provider_reference":"sbx_ref"}}}""",
                """{"id":"evt_00000000000000000000000000000003","type":"session.completed","created":1796119320,"sequence":3,"livemode":false,"data":{"session_id":"sess_golden","order_id":"order_golden","customer":"customer_abc123","status":"completed","amount":10000,"currency":"USD","metadata":{"plan":"premium"},"payment":{"status":"succeeded","payment_method_id":"sandbox_card","provider":"sandbox","provider_payment_id":"sbxpay_1"}}}""",
            ],
            bodies.Select(b => b?.Payload));
        Assert.Equal([null, "session.payment_initiated", "session.completed"], bodies.Select(b => b?.Type));
        Assert.All(bodies.Skip(1), b => Assert.Equal("biz_golden", b!.BusinessId));
    }

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
