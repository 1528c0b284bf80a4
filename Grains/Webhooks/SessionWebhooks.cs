using System.Text;
using System.Text.Json;
using PaySessions.Grains.Sessions;
using PaySessions.Grains.Sessions.Events;
using PaySessions.Grains.Sessions.Xendit;

namespace PaySessions.Grains.Webhooks;

/// <summary>
/// A merchant webhook waiting in the outbox: written with the event that causes it.
/// <paramref name="SendsCallbackToken"/>: every delivery of it carries the business's
/// <c>x-callback-token</c> (the Xendit dialect's way of proving the sender), read at send time.
/// <paramref name="Subscription"/>: the event type the business must have chosen for it to be sent
/// (judged at send time; null: always sent). <paramref name="SignsBody"/>: deliveries carry
/// Payviox's <c>Signature</c> header besides the timestamped one.
/// </summary>
public sealed record OutboundWebhook(
    Guid EventId, string BusinessId, string Type, int Sequence, string Payload, bool SendsCallbackToken = false, string? Subscription = null, bool SignsBody = false);

/// <summary>
/// Which webhooks merchants get for a session's events, and their bodies: chosen by the dialect
/// recorded on Created (<see cref="BodyFor"/>), the one place a dialect picks them.
/// </summary>
public static class SessionWebhooks
{
    /// <summary>
    /// The webhook for <paramref name="event"/> at <paramref name="version"/>, given the state right
    /// after it; null when merchants are not told. <paramref name="links"/> makes the hosted page's
    /// address in bodies that show it (the Xendit dialect's session object); the session grain
    /// always passes it.
    /// </summary>
    public static OutboundWebhook? For(string sessionId, PaymentSessionState after, PaymentSessionEvent @event, int version, PaymentLinks? links = null)
    {
        if (after.Facts is not { } facts)
        {
            return null;
        }

        var body = BodyFor(facts.Dialect);
        return body.WebhookType(@event) is { } type
            ? new OutboundWebhook(
                @event.EventId, facts.BusinessId, type, version, body.Write(sessionId, after, @event, version, type, links),
                body.SendsCallbackToken, body.SubscriptionFor(type), body.SignsBody)
            : null;
    }

    /// <summary>The body builder of the dialect recorded on Created.</summary>
    public static ISessionWebhookBody BodyFor(SessionDialect dialect) => dialect switch
    {
        SessionDialect.Xendit => XenditWebhookBody.Instance,
        _ => PayvioxWebhookBody.Instance,
    };
}

/// <summary>One dialect's merchant webhooks: which events are told, and the bytes of each body.</summary>
public interface ISessionWebhookBody
{
    /// <summary>The webhook type for <paramref name="change"/>, or null when merchants of this dialect are not told.</summary>
    string? WebhookType(PaymentSessionEvent change);

    /// <summary>The body, fixed when the event is appended: every retry sends these bytes.</summary>
    string Write(string sessionId, PaymentSessionState after, PaymentSessionEvent change, int version, string type, PaymentLinks? links);

    /// <summary>Whether deliveries carry the business's <c>x-callback-token</c> header.</summary>
    bool SendsCallbackToken { get; }

    /// <summary>Whether deliveries carry <c>Signature</c>: the hex HMAC-SHA256 of the body alone, keyed with the webhook secret (Payviox's header).</summary>
    bool SignsBody { get; }

    /// <summary>The event type a business must have chosen for a delivery of <paramref name="type"/> to be sent; null: always sent.</summary>
    string? SubscriptionFor(string type);
}

/// <summary>
/// The Payviox dialect's webhooks, in the shape Payviox documents:
/// <c>{"amount","currency","fees","metadata":{"integration_session_id", …the session's metadata},
/// "type","provider","order_id","items":[{name,quantity,price}],"payment_method"}</c>, plus
/// <c>customer</c> when the provider reported the payer's details (recorded on Completed; absent
/// otherwise), and on top, what Payviox lacks: <c>sequence</c> (the event's version, so a merchant can
/// drop a delivery older than one it already has) and <c>livemode</c> (the session's mode).
/// <c>type</c> is Payviox's name where it has the event (<see cref="PayvioxWebhookEvents"/>:
/// <c>succeeded</c>, <c>expired</c>, <c>incomplete</c> with <c>amount_remaining</c>), this
/// service's own name otherwise (<c>session.canceled</c>, <c>session.payment_initiated</c>,
/// <c>session.late_payment</c>, <c>session.payment_mismatch</c>), always in this one shape. Money
/// the session cannot keep (incomplete, late, mismatched) adds <c>payment</c> with both figures
/// and <c>refund_required</c>. The body is fixed when the event is appended, so every retry sends
/// the same bytes (and so the same <c>Signature</c>); each delivery is sent only if the business
/// chose its type (<see cref="OutboundWebhook.Subscription"/>).
/// </summary>
public sealed class PayvioxWebhookBody : ISessionWebhookBody
{
    public const string IntegrationSessionId = "integration_session_id";

    public static PayvioxWebhookBody Instance { get; } = new();

    private PayvioxWebhookBody()
    {
    }

    public string? WebhookType(PaymentSessionEvent change) => change switch
    {
        Completed => PayvioxWebhookEvents.Succeeded,
        Expired => PayvioxWebhookEvents.Expired,
        PaymentMismatch mismatch when Underpaid(mismatch) => PayvioxWebhookEvents.Incomplete,
        PaymentMismatch => PayvioxWebhookEvents.PaymentMismatch,
        Canceled => PayvioxWebhookEvents.Canceled,
        PaymentInitiated => PayvioxWebhookEvents.PaymentInitiated,
        LatePaymentReceived => PayvioxWebhookEvents.LatePayment,
        LatePaymentAccepted => PayvioxWebhookEvents.Succeeded,
        LatePaymentRefunded => PayvioxWebhookEvents.Refunded,
        LatePaymentRefundFailed => PayvioxWebhookEvents.LatePaymentRefundFailed,
        _ => null,
    };

    public bool SendsCallbackToken => false;

    public bool SignsBody => true;

    public string? SubscriptionFor(string type) => type;

    /// <summary>
    /// Paid in the currency asked, but less: Payviox's <c>incomplete</c>. More than asked, or
    /// another currency, has no Payviox name and stays <c>session.payment_mismatch</c>.
    /// </summary>
    public static bool Underpaid(PaymentMismatch mismatch) =>
        string.Equals(mismatch.Currency, mismatch.ExpectedCurrency, StringComparison.OrdinalIgnoreCase)
        && mismatch.Amount < mismatch.ExpectedAmount;

    public string Write(string sessionId, PaymentSessionState after, PaymentSessionEvent change, int version, string type, PaymentLinks? links)
    {
        var facts = after.Facts!;
        var (provider, paymentMethod) = PaymentOf(after, change);
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteNumber("amount", facts.Amount);
            json.WriteString("currency", facts.Currency);
            WriteNumberOrNull(json, "fees", change switch
            {
                Completed completed => completed.Fees,
                LatePaymentAccepted accepted => accepted.Fees,
                _ => null,
            });
            json.WriteStartObject("metadata");
            // The session id travels here, as on Payviox; a merchant's own key of that name gives way to it.
            json.WriteString(IntegrationSessionId, sessionId);
            foreach (var (key, value) in facts.Metadata)
            {
                if (!string.Equals(key, IntegrationSessionId, StringComparison.Ordinal))
                {
                    json.WriteString(key, value);
                }
            }

            json.WriteEndObject();
            json.WriteString("type", type);
            json.WriteString("provider", provider);
            json.WriteString("order_id", facts.OrderId);
            json.WriteStartArray("items");
            foreach (var item in facts.Items)
            {
                json.WriteStartObject();
                json.WriteString("name", item.Name);
                json.WriteNumber("quantity", item.Quantity);
                json.WriteNumber("price", item.Price);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteString("payment_method", paymentMethod);
            if (((change as Completed)?.CustomerDetails ?? (change as LatePaymentAccepted)?.CustomerDetails) is { } customer)
            {
                // The payer as the provider reported them: only when it did (Payviox sends it "when known").
                WriteCustomer(json, customer);
            }

            if (change is PaymentMismatch underpaid && type == PayvioxWebhookEvents.Incomplete)
            {
                json.WriteNumber("amount_remaining", underpaid.ExpectedAmount - underpaid.Amount);
            }

            json.WriteNumber("sequence", version);
            json.WriteBoolean("livemode", after.IsLive);
            if (change is LatePaymentAccepted)
            {
                // The session completed with money that came after it ended (the business accepts late payments).
                json.WriteBoolean("late", true);
            }

            switch (change)
            {
                case LatePaymentReceived late:
                    WriteRefund(json, "late", after, late.Provider, late.ProviderReference, late.ProviderPaymentId,
                        late.Amount, late.Currency, late.ExpectedAmount, late.ExpectedCurrency, LateHandling.Of(late));
                    break;
                case PaymentMismatch mismatch:
                    WriteRefund(json, "mismatch", after, mismatch.Provider, mismatch.ProviderReference, mismatch.ProviderPaymentId,
                        mismatch.Amount, mismatch.Currency, mismatch.ExpectedAmount, mismatch.ExpectedCurrency, null);
                    break;
                case LatePaymentRefunded or LatePaymentRefundFailed when LateHandling.PaymentOf(after, change) is { } refunded:
                    WriteRefund(json, LateHandling.StatusOf(change), after, refunded.Provider, refunded.ProviderReference, refunded.ProviderPaymentId,
                        refunded.Amount, refunded.Currency, refunded.ExpectedAmount, refunded.ExpectedCurrency, LateHandling.Of(refunded, change));
                    break;
            }

            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static void WriteCustomer(Utf8JsonWriter json, ProviderCustomerDetails customer)
    {
        json.WriteStartObject("customer");
        json.WriteString("name", customer.Name);
        json.WriteString("email", customer.Email);
        json.WriteString("phone", customer.Phone);
        if (customer.Address is { } address)
        {
            json.WriteStartObject("address");
            json.WriteString("line1", address.Line1);
            json.WriteString("line2", address.Line2);
            json.WriteString("city", address.City);
            json.WriteString("state", address.State);
            json.WriteString("postal_code", address.PostalCode);
            json.WriteString("country", address.Country);
            json.WriteEndObject();
        }
        else
        {
            json.WriteNull("address");
        }

        json.WriteEndObject();
    }

    // The provider and method of the payment the event is about; for an ending without one (expired,
    // canceled), the last attempt's, null when nothing was attempted.
    private static (string? Provider, string? PaymentMethod) PaymentOf(PaymentSessionState after, PaymentSessionEvent change) => change switch
    {
        Completed when after.Payment is { } payment => (payment.Provider, payment.PaymentMethodId),
        PaymentInitiated initiated => (initiated.Provider, initiated.PaymentMethodId),
        PaymentMismatch mismatch => (mismatch.Provider, after.Attempt(mismatch.Provider, mismatch.ProviderReference)?.PaymentMethodId),
        LatePaymentReceived late => (late.Provider, after.Attempt(late.Provider, late.ProviderReference)?.PaymentMethodId),
        LatePaymentAccepted when after.Payment is { } payment => (payment.Provider, payment.PaymentMethodId),
        LatePaymentRefunded or LatePaymentRefundFailed when LateHandling.PaymentOf(after, change) is { } late =>
            (late.Provider, after.Attempt(late.Provider, late.ProviderReference)?.PaymentMethodId),
        _ => (after.Attempts.LastOrDefault()?.Provider, after.Attempts.LastOrDefault()?.PaymentMethodId),
    };

    // Money taken that does not pay the session: what was taken, what was asked, and the flag;
    // for a late payment also what its policy does with it and where its refund stands.
    private static void WriteRefund(
        Utf8JsonWriter json, string status, PaymentSessionState after, string provider, string reference, string paymentId,
        long? amount, string? currency, long? expectedAmount, string? expectedCurrency, LateHandling? handling)
    {
        var attempt = after.Attempt(provider, reference);
        json.WriteStartObject("payment");
        json.WriteString("status", status);
        json.WriteString("payment_method_id", attempt?.PaymentMethodId);
        json.WriteString("provider", provider);
        json.WriteString("provider_reference", reference);
        json.WriteString("provider_payment_id", paymentId);
        WriteNumberOrNull(json, "amount", amount);
        json.WriteString("currency", currency);
        WriteNumberOrNull(json, "expected_amount", expectedAmount ?? attempt?.Amount);
        json.WriteString("expected_currency", expectedCurrency ?? attempt?.Currency);
        handling?.Write(json);
        json.WriteBoolean("refund_required", handling?.RefundRequired ?? true);
        json.WriteEndObject();
    }

    private static void WriteNumberOrNull(Utf8JsonWriter json, string name, long? value)
    {
        if (value is { } number)
        {
            json.WriteNumber(name, number);
        }
        else
        {
            json.WriteNull(name);
        }
    }
}

/// <summary>
/// The Xendit dialect's webhooks, in the shape that provider sends for sessions:
/// <c>{"event","business_id","created","data":{…}}</c>, where <c>data</c> is the session object
/// exactly as <c>GET /sessions/{id}</c> answers it at that event (<see cref="XenditSessionObject"/>)
/// and <c>created</c> the event's time. That provider tells merchants of two session events:
/// <c>payment_session.completed</c> and <c>payment_session.expired</c>; a cancel is the merchant's
/// own act and a started payment changes nothing it shows, so neither is sent. Money the session
/// cannot keep is told too, because money is never dropped silently: <c>session.late_payment</c>
/// and <c>session.payment_mismatch</c> (the Payviox dialect's names: that provider has no event for
/// them) in the same envelope, with a <c>payment</c> object beside <c>data</c> holding both figures
/// in major units and <c>refund_required</c>. Every delivery carries the business's callback token.
/// </summary>
public sealed class XenditWebhookBody : ISessionWebhookBody
{
    public const string Completed = "payment_session.completed";
    public const string Expired = "payment_session.expired";
    public const string LatePayment = "session.late_payment";
    public const string PaymentMismatch = "session.payment_mismatch";
    public const string LatePaymentRefunded = "session.late_payment_refunded";
    public const string LatePaymentRefundFailed = "session.late_payment_refund_failed";

    public static XenditWebhookBody Instance { get; } = new();

    private XenditWebhookBody()
    {
    }

    public bool SendsCallbackToken => true;

    public bool SignsBody => false;

    // This dialect's webhooks are sent as they always were: no choice of events.
    public string? SubscriptionFor(string type) => null;

    public string? WebhookType(PaymentSessionEvent change) => change switch
    {
        Sessions.Events.Completed => Completed,
        Sessions.Events.Expired => Expired,
        LatePaymentReceived => LatePayment,
        Sessions.Events.PaymentMismatch => PaymentMismatch,
        LatePaymentAccepted => Completed,
        Sessions.Events.LatePaymentRefunded => LatePaymentRefunded,
        Sessions.Events.LatePaymentRefundFailed => LatePaymentRefundFailed,
        _ => null,
    };

    public string Write(string sessionId, PaymentSessionState after, PaymentSessionEvent change, int version, string type, PaymentLinks? links)
    {
        var session = XenditSessionObject.From(
            after.ToSnapshot(sessionId, version),
            links ?? throw new InvalidOperationException("The Xendit dialect's webhook body needs the hosted page's address (PaymentLinks)."));
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("event", type);
            json.WriteString("business_id", session.BusinessId);
            json.WriteString("created", XenditSessionObject.Time(change.OccurredAt));
            json.WritePropertyName("data");
            JsonSerializer.Serialize(json, session, XenditSessionObject.Json);
            switch (change)
            {
                case LatePaymentReceived late:
                    WriteRefund(json, "late", after, late.Provider, late.ProviderReference, late.ProviderPaymentId,
                        late.Amount, late.Currency, late.ExpectedAmount, late.ExpectedCurrency, LateHandling.Of(late));
                    break;
                case Sessions.Events.PaymentMismatch mismatch:
                    WriteRefund(json, "mismatch", after, mismatch.Provider, mismatch.ProviderReference, mismatch.ProviderPaymentId,
                        mismatch.Amount, mismatch.Currency, mismatch.ExpectedAmount, mismatch.ExpectedCurrency, null);
                    break;
                case Sessions.Events.LatePaymentRefunded or Sessions.Events.LatePaymentRefundFailed when LateHandling.PaymentOf(after, change) is { } refunded:
                    WriteRefund(json, LateHandling.StatusOf(change), after, refunded.Provider, refunded.ProviderReference, refunded.ProviderPaymentId,
                        refunded.Amount, refunded.Currency, refunded.ExpectedAmount, refunded.ExpectedCurrency, LateHandling.Of(refunded, change));
                    break;
            }

            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    // Money taken that does not pay the session, in this dialect's units (major, exact).
    private static void WriteRefund(
        Utf8JsonWriter json, string status, PaymentSessionState after, string provider, string reference, string paymentId,
        long? amount, string? currency, long? expectedAmount, string? expectedCurrency, LateHandling? handling)
    {
        var attempt = after.Attempt(provider, reference);
        var asked = expectedCurrency ?? attempt?.Currency ?? after.Facts!.Currency;
        json.WriteStartObject("payment");
        json.WriteString("status", status);
        json.WriteString("payment_request_id", attempt?.PaymentRequestId);
        json.WriteString("provider", provider);
        json.WriteString("provider_reference", reference);
        json.WriteString("provider_payment_id", paymentId);
        WriteMajor(json, "amount", amount, currency);
        json.WriteString("currency", string.IsNullOrEmpty(currency) ? null : currency);
        WriteMajor(json, "expected_amount", expectedAmount ?? attempt?.Amount ?? after.Facts!.Amount, asked);
        json.WriteString("expected_currency", asked);
        handling?.Write(json);
        json.WriteBoolean("refund_required", handling?.RefundRequired ?? true);
        json.WriteEndObject();
    }

    // Minor units as a major-unit number by the dialect's decimals (IDR has none); null when either is unknown.
    private static void WriteMajor(Utf8JsonWriter json, string name, long? minor, string? currency)
    {
        if (minor is { } units && currency is not null && XenditCurrencies.DecimalsOf(currency) is { } exponent)
        {
            // The same digits with the currency's scale (1050 PHP is 10.50): exact, no division, no double.
            var magnitude = (ulong)Math.Abs((decimal)units);
            json.WriteNumber(name, new decimal((int)(uint)magnitude, (int)(uint)(magnitude >> 32), 0, units < 0, (byte)exponent));
        }
        else
        {
            json.WriteNull(name);
        }
    }
}

/// <summary>
/// What a late payment's webhook adds to its <c>payment</c> object in both dialects:
/// <c>handling</c> (refund, accept, manual; absent for rows from before policies), the refund's
/// <c>refund_id</c> when refunded by policy, and once it settled <c>provider_refund_id</c> or
/// <c>refund_failure_reason</c> and <c>manual_review</c>; <c>refund_required</c> follows (false once
/// accepted or refunded).
/// </summary>
internal sealed record LateHandling(LatePaymentPolicy? Handling, string? RefundId, PaymentSessionEvent? Outcome)
{
    public bool RefundRequired => Handling != LatePaymentPolicy.Accept && Outcome is not LatePaymentRefunded;

    public static LateHandling Of(LatePaymentReceived late, PaymentSessionEvent? outcome = null) => new(late.Handling, late.RefundId, outcome);

    /// <summary>The late payment a refund's outcome is about.</summary>
    public static LatePaymentReceived? PaymentOf(PaymentSessionState after, PaymentSessionEvent outcome) => outcome switch
    {
        LatePaymentRefunded r => after.LatePayments.Find(l => l.RefundId == r.RefundId),
        LatePaymentRefundFailed f => after.LatePayments.Find(l => l.RefundId == f.RefundId),
        _ => null,
    };

    public static string StatusOf(PaymentSessionEvent outcome) => outcome is LatePaymentRefunded ? "refunded" : "refund_failed";

    public void Write(Utf8JsonWriter json)
    {
        if (Handling is { } handling)
        {
            json.WriteString("handling", handling switch
            {
                LatePaymentPolicy.Accept => "accept",
                LatePaymentPolicy.Manual => "manual",
                _ => "refund",
            });
        }

        if (RefundId is { } refundId)
        {
            json.WriteString("refund_id", refundId);
        }

        switch (Outcome)
        {
            case LatePaymentRefunded refunded:
                json.WriteString("provider_refund_id", refunded.ProviderRefundId);
                break;
            case LatePaymentRefundFailed failed:
                json.WriteString("refund_failure_reason", failed.Reason);
                json.WriteBoolean("manual_review", true);
                break;
            default:
                if (Handling == LatePaymentPolicy.Manual)
                {
                    json.WriteBoolean("manual_review", true);
                }

                break;
        }
    }
}
