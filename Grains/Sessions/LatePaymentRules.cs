using System.Security.Cryptography;
using System.Text;
using PaySessions.Grains.Sessions.Events;

namespace PaySessions.Grains.Sessions;

/// <summary>
/// What a business's late-payment policy does with one late payment, and what a refund's outcome
/// means for the session: pure functions of the state, no I/O (the grain asks the business for
/// its policy before deciding, and records the policy on the event).
/// </summary>
public static class LatePaymentRules
{
    /// <summary>A provider's reason is kept to this many characters in the log.</summary>
    public const int MaxReasonLength = 300;

    /// <summary>
    /// How a late payment is handled under <paramref name="policy"/>:
    /// <list type="bullet">
    /// <item><c>refund</c>: refunded when the provider said what it took (an amount above zero and a
    /// currency); otherwise there is nothing to ask back and an operator looks (manual).</item>
    /// <item><c>accept</c>: the session completes with it when it is an expired or canceled PAY
    /// session and the payment is in exactly the figures its attempt asked for; anything else
    /// (a session already completed, a SAVE session, other figures) cannot complete it, and is
    /// left to an operator rather than refunded against the business's choice (manual).</item>
    /// <item><c>manual</c>: flagged for an operator.</item>
    /// </list>
    /// </summary>
    public static LatePaymentPolicy Handling(PaymentSessionState state, PaymentAttempt attempt, ProviderPaymentReport report, LatePaymentPolicy policy) => policy switch
    {
        LatePaymentPolicy.Refund when report.Amount is > 0 && !string.IsNullOrEmpty(report.Currency) => LatePaymentPolicy.Refund,
        LatePaymentPolicy.Accept when CanComplete(state, attempt, report) => LatePaymentPolicy.Accept,
        _ => LatePaymentPolicy.Manual,
    };

    private static bool CanComplete(PaymentSessionState state, PaymentAttempt attempt, ProviderPaymentReport report) =>
        state.Status is SessionStatus.Expired or SessionStatus.Canceled
        && state.Facts?.SessionType == SessionType.Pay
        && report.Amount == attempt.Amount
        && string.Equals(report.Currency, attempt.Currency, StringComparison.Ordinal);

    /// <summary>
    /// The refund's id, derived from the payment (provider and its payment id) alone: every try,
    /// on any silo and after any restart, asks the provider with the same key, so a provider that
    /// honours it refunds once. <c>lrf_</c> and 32 hex characters.
    /// </summary>
    public static string RefundIdFor(string provider, string providerPaymentId) =>
        "lrf_" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(provider + "\n" + providerPaymentId)))[..32];

    /// <summary>
    /// What a refund's outcome means: the event that records it, once. An outcome for a refund
    /// already settled is a duplicate (a retry of the worker after its answer was lost), and one
    /// for a refund this session never asked for is unknown; neither appends anything.
    /// </summary>
    public static (LateRefundRecordOutcome Outcome, PaymentSessionEvent? Event) DecideRefund(PaymentSessionState state, LateRefundReport report, DateTimeOffset now)
    {
        if (state.Refunds.Find(r => r.RefundId == report.RefundId) is not { } refund)
        {
            return (LateRefundRecordOutcome.Unknown, null);
        }

        if (refund.Status != LateRefundStatus.Pending)
        {
            return (LateRefundRecordOutcome.Duplicate, null);
        }

        PaymentSessionEvent @event = report.Refunded
            ? new LatePaymentRefunded
            {
                EventId = Guid.NewGuid(),
                OccurredAt = now,
                RefundId = refund.RefundId,
                Provider = refund.Provider,
                ProviderPaymentId = refund.ProviderPaymentId,
                ProviderRefundId = report.ProviderRefundId,
                Amount = refund.Amount,
                Currency = refund.Currency,
            }
            : new LatePaymentRefundFailed
            {
                EventId = Guid.NewGuid(),
                OccurredAt = now,
                RefundId = refund.RefundId,
                Provider = refund.Provider,
                ProviderPaymentId = refund.ProviderPaymentId,
                Reason = string.IsNullOrWhiteSpace(report.Reason) ? "refund failed"
                    : report.Reason.Length > MaxReasonLength ? report.Reason[..MaxReasonLength] : report.Reason,
            };
        return (LateRefundRecordOutcome.Recorded, @event);
    }
}

/// <summary>The policies' names, as operators type them and listings show them.</summary>
public static class LatePaymentPolicies
{
    public static string Name(LatePaymentPolicy policy) => policy switch
    {
        LatePaymentPolicy.Accept => "accept",
        LatePaymentPolicy.Manual => "manual",
        _ => "refund",
    };

    /// <summary>Exactly <c>refund</c>, <c>accept</c> or <c>manual</c> (any case, surrounding spaces ignored).</summary>
    public static bool TryParse(string? text, out LatePaymentPolicy policy)
    {
        policy = LatePaymentPolicy.Refund;
        switch (text?.Trim().ToLowerInvariant())
        {
            case "refund":
                return true;
            case "accept":
                policy = LatePaymentPolicy.Accept;
                return true;
            case "manual":
                policy = LatePaymentPolicy.Manual;
                return true;
            default:
                return false;
        }
    }
}
