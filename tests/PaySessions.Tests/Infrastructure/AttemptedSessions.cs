using PaySessions.Grains.Sessions;
using PaySessions.Grains.Sessions.Events;

namespace PaySessions.Tests.Infrastructure;

/// <summary>
/// A session's state with one payment attempt started, built from its two events: what the pure
/// deciders (provider reports, fees) are handed in their tests.
/// </summary>
public static class AttemptedSessions
{
    public static PaymentSessionState With(
        DateTimeOffset now,
        long amount,
        string currency,
        SessionDialect dialect = SessionDialect.Payviox,
        SessionType type = SessionType.Pay,
        string method = "sandbox_card",
        string provider = "sandbox",
        string reference = "sbx_ref",
        bool attemptCarriesFigures = true,
        string? paymentRequestId = null)
    {
        var state = new PaymentSessionState();
        state.Apply(new Created
        {
            EventId = Guid.NewGuid(),
            OccurredAt = now,
            BusinessId = "biz",
            OrderId = "order",
            Customer = "cust-1",
            Amount = amount,
            Currency = currency,
            Items = [],
            ExpiresAt = now.AddMinutes(30),
            Dialect = dialect,
            SessionType = type,
        });
        state.Apply(new PaymentInitiated
        {
            EventId = Guid.NewGuid(),
            OccurredAt = now,
            PaymentMethodId = method,
            Provider = provider,
            ProviderReference = reference,
            // Rows written before attempts carried their figures have none.
            Amount = attemptCarriesFigures ? amount : null,
            Currency = attemptCarriesFigures ? currency : null,
            PaymentRequestId = paymentRequestId,
        });
        return state;
    }
}
