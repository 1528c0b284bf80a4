namespace PaySessions.Grains.Sessions;

/// <summary>
/// A session's payment as a payment API shows it, decided from the folded state alone (no I/O):
/// a pure function beside the grain, so the mapping is tested over generated event sequences.
/// </summary>
public static class PaymentStatuses
{
    /// <summary>
    /// The session's end decides first: paid is <see cref="PaymentStatus.Succeeded"/> (whatever
    /// came before or after: late money does not unpay it), then canceled or expired without
    /// payment, with or without attempts. An open session speaks of its latest attempt: none is
    /// null, waiting for its provider is pending, declined is failed, money in other figures is
    /// pending review (held for refund). A new attempt after a decline is pending again.
    /// </summary>
    public static PaymentStatus? Of(PaymentSessionState state) => state.Status switch
    {
        SessionStatus.Completed => PaymentStatus.Succeeded,
        SessionStatus.Canceled => PaymentStatus.Canceled,
        SessionStatus.Expired => PaymentStatus.Expired,
        _ => state.Attempts.Count == 0 ? null : state.Attempts[^1].State switch
        {
            AttemptState.Failed => PaymentStatus.Failed,
            AttemptState.Mismatched => PaymentStatus.PendingReview,
            AttemptState.Succeeded => PaymentStatus.Succeeded,
            _ => PaymentStatus.Pending,
        },
    };

    /// <summary>
    /// The payment of <paramref name="state"/>: the attempt that counts is the one that paid, else the
    /// latest; its method, provider and payer's facts are shown. The provider's reports about the
    /// payer and the means of payment, and the fees, exist only once the session is paid.
    /// </summary>
    public static SessionPaymentDetails Details(PaymentSessionState state)
    {
        var completion = state.Completion;
        var counted = completion is { ProviderReference: { } reference }
            ? state.Attempt(completion.Provider, reference) ?? state.Attempts.LastOrDefault()
            : state.Attempts.LastOrDefault();
        return new SessionPaymentDetails
        {
            Status = Of(state),
            PaymentMethodId = counted?.PaymentMethodId,
            Provider = completion?.Provider ?? counted?.Provider,
            Fees = completion?.Fees,
            PayerIp = counted?.PayerIp,
            PayerUserAgent = counted?.PayerUserAgent,
            CustomerDetails = completion?.CustomerDetails,
            PaymentDetails = completion?.PaymentDetails,
        };
    }
}
