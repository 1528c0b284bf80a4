namespace PaySessions.Grains.Sessions;

/// <summary>
/// What became of a session's payment, as the session's events say, in the words a payment API
/// uses (each dialect names them). Null (no status at all) before any attempt of an open session.
/// </summary>
public enum PaymentStatus
{
    /// <summary>The latest attempt was started and its provider has not reported yet.</summary>
    Pending = 0,

    /// <summary>The session was paid (Completed).</summary>
    Succeeded = 1,

    /// <summary>The provider declined the latest attempt (PaymentFailed) and none was started since.</summary>
    Failed = 2,

    /// <summary>The session expired without being paid.</summary>
    Expired = 3,

    /// <summary>The merchant canceled the session before it was paid.</summary>
    Canceled = 4,

    /// <summary>
    /// The provider reported money for the latest attempt in other figures than it asked for
    /// (PaymentMismatch): the money is held for a person to review and refund, the session is not paid.
    /// </summary>
    PendingReview = 5,
}

/// <summary>
/// The payment of one session, read from the session grain's memory: its status, the attempt that
/// counts (the one that paid, else the latest) with the payer's facts recorded when it started, and
/// once paid, the fees and what the provider reported about the payer and the means of payment.
/// </summary>
[Immutable]
[GenerateSerializer]
[Alias("PaySessions.SessionPaymentDetails")]
public sealed record SessionPaymentDetails
{
    [Id(0)]
    public PaymentStatus? Status { get; init; }

    [Id(1)]
    public string? PaymentMethodId { get; init; }

    [Id(2)]
    public string? Provider { get; init; }

    /// <summary>Recorded on Completed (minor units); null until then, and where no fee schedule applied.</summary>
    [Id(3)]
    public long? Fees { get; init; }

    [Id(4)]
    public string? PayerIp { get; init; }

    [Id(5)]
    public string? PayerUserAgent { get; init; }

    [Id(6)]
    public ProviderCustomerDetails? CustomerDetails { get; init; }

    [Id(7)]
    public ProviderPaymentDetails? PaymentDetails { get; init; }
}
