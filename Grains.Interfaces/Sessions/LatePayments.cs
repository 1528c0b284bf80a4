namespace PaySessions.Grains.Sessions;

/// <summary>
/// What a business wants done with money a provider reports after the session ended
/// (<c>merchants set-late-payment-policy</c>). Stored on the business; the policy in force when a
/// late payment arrives is recorded on its <c>LatePaymentReceived</c>, so replaying a session never
/// reads today's setting. Stored as snake_case names (<c>refund</c>, <c>accept</c>, <c>manual</c>).
/// </summary>
public enum LatePaymentPolicy
{
    /// <summary>The default: the provider is asked to give the money back (a durable refund request, retried).</summary>
    Refund = 0,

    /// <summary>The session completes late with that payment, when it can (see <c>LatePaymentRules</c>).</summary>
    Accept = 1,

    /// <summary>Nothing is done automatically: the session is flagged for an operator.</summary>
    Manual = 2,
}

/// <summary>Where the refund of a late payment stands.</summary>
public enum LateRefundStatus
{
    Pending = 0,
    Refunded = 1,
    Failed = 2,
}

/// <summary>
/// What a provider answered to the refund of one late payment, as the refund worker hands it to
/// the session: refunded (with the provider's own id for it, when it gave one) or failed for good
/// (with the reason).
/// </summary>
[Immutable]
[GenerateSerializer]
[Alias("PaySessions.LateRefundReport")]
public sealed record LateRefundReport(
    [property: Id(60)] string RefundId,
    [property: Id(61)] bool Refunded,
    [property: Id(62)] string? ProviderRefundId,
    [property: Id(63)] string? Reason);

public enum LateRefundRecordOutcome
{
    /// <summary>The outcome was appended to the session.</summary>
    Recorded = 0,

    /// <summary>The session already holds an outcome for that refund: nothing was appended.</summary>
    Duplicate = 1,

    /// <summary>No late payment of this session is waiting for that refund.</summary>
    Unknown = 2,
}
