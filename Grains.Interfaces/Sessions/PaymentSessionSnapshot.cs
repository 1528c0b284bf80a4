namespace PaySessions.Grains.Sessions;

/// <summary>A read-only view of one session at a given version of its log.</summary>
[Immutable]
[GenerateSerializer]
[Alias("PaySessions.PaymentSessionSnapshot")]
public sealed record PaymentSessionSnapshot
{
    [Id(0)]
    public required string SessionId { get; init; }

    [Id(1)]
    public required int Version { get; init; }

    [Id(2)]
    public required SessionStatus Status { get; init; }

    [Id(3)]
    public required string BusinessId { get; init; }

    [Id(4)]
    public required string OrderId { get; init; }

    [Id(5)]
    public required string Customer { get; init; }

    [Id(6)]
    public required long Amount { get; init; }

    [Id(7)]
    public required string Currency { get; init; }

    [Id(8)]
    public required IReadOnlyList<LineItem> Items { get; init; }

    [Id(9)]
    public string? Description { get; init; }

    [Id(10)]
    public required IReadOnlyDictionary<string, string> Metadata { get; init; }

    [Id(11)]
    public string? ClientIp { get; init; }

    [Id(12)]
    public required DateTimeOffset CreatedAt { get; init; }

    [Id(13)]
    public required DateTimeOffset ExpiresAt { get; init; }

    [Id(14)]
    public DateTimeOffset? ClosedAt { get; init; }

    [Id(15)]
    public required SessionDialect Dialect { get; init; }

    [Id(16)]
    public required SessionType SessionType { get; init; }

    /// <summary>The method of the latest payment attempt, if any.</summary>
    [Id(17)]
    public string? PaymentMethodId { get; init; }

    /// <summary>
    /// Set once Completed: who took the money and their id for it; for the Xendit dialect also the
    /// session's own payment and payment request ids (PAY) or the saved payment token (SAVE).
    /// </summary>
    [Id(18)]
    public SessionPayment? Payment { get; init; }

    [Id(19)]
    public int FailedAttempts { get; init; }

    /// <summary>Money an operator must refund: it arrived after the session ended, or in other figures than asked.</summary>
    [Id(20)]
    public bool RefundRequired { get; init; }

    /// <summary>Created by a live key (false: a test key). Keys of the other mode do not see the session.</summary>
    [Id(21)]
    public bool Livemode { get; init; }

    /// <summary>The Xendit-style facts of a session created through that dialect; null otherwise.</summary>
    [Id(22)]
    public XenditSessionDetails? Xendit { get; init; }

    /// <summary>
    /// The latest payment attempt is still waiting for its provider's report (the hosted page
    /// waits for it); false when there is none or it was reported, e.g. declined.
    /// </summary>
    [Id(40)]
    public bool LastAttemptPending { get; init; }

    /// <summary>Successes reported after the session ended (LatePaymentReceived), oldest first.</summary>
    [Id(30)]
    public IReadOnlyList<ReportedPayment> LatePayments { get; init; } = [];

    /// <summary>Successes whose amount or currency differed from their attempt (PaymentMismatch), oldest first.</summary>
    [Id(31)]
    public IReadOnlyList<ReportedPayment> PaymentMismatches { get; init; } = [];

    /// <summary>
    /// Money here waits for an operator: a late payment handled <c>manual</c> (by policy, or because
    /// the policy could not apply), a late payment whose refund failed, or a payment mismatch.
    /// </summary>
    [Id(60)]
    public bool ManualReview { get; init; }
}

/// <summary>
/// Money a provider reported that did not pay the session and must be refunded, with both figures:
/// what was taken (<see cref="Amount"/>, <see cref="Currency"/>; null for late payments recorded
/// before reports carried them) and what the attempt asked for.
/// </summary>
[Immutable]
[GenerateSerializer]
[Alias("PaySessions.ReportedPayment")]
public sealed record ReportedPayment(
    [property: Id(0)] string Provider,
    [property: Id(1)] string ProviderReference,
    [property: Id(2)] string ProviderPaymentId,
    [property: Id(3)] long? Amount,
    [property: Id(4)] string? Currency,
    [property: Id(5)] long ExpectedAmount,
    [property: Id(6)] string ExpectedCurrency,
    [property: Id(7)] DateTimeOffset ReceivedAt)
{
    /// <summary>For a late payment: what its policy did with it (null for mismatches and for late payments recorded before policies).</summary>
    [Id(60)]
    public LatePaymentPolicy? Handling { get; init; }

    /// <summary>For a late payment handled by refund: this service's refund id (the provider's idempotency key).</summary>
    [Id(61)]
    public string? RefundId { get; init; }

    /// <summary>For a late payment handled by refund: pending, refunded or failed.</summary>
    [Id(62)]
    public LateRefundStatus? RefundStatus { get; init; }

    /// <summary>The provider's id for the refund, once refunded (when it gave one).</summary>
    [Id(63)]
    public string? ProviderRefundId { get; init; }

    /// <summary>Why the refund failed, once it failed.</summary>
    [Id(64)]
    public string? RefundFailureReason { get; init; }
}

[Immutable]
[GenerateSerializer]
[Alias("PaySessions.SessionPayment")]
public sealed record SessionPayment(
    [property: Id(0)] string Provider,
    [property: Id(1)] string ProviderPaymentId,
    [property: Id(2)] string? PaymentMethodId,
    [property: Id(3)] DateTimeOffset CompletedAt,
    [property: Id(4)] string? PaymentId = null,
    [property: Id(5)] string? PaymentRequestId = null,
    [property: Id(6)] string? PaymentTokenId = null);

/// <summary>One row of a session's event log, as stored: the type name and its JSON data.</summary>
[Immutable]
[GenerateSerializer]
[Alias("PaySessions.SessionEventRecord")]
public sealed record SessionEventRecord(
    [property: Id(0)] int Version,
    [property: Id(1)] string Type,
    [property: Id(2)] DateTimeOffset OccurredAt,
    [property: Id(3)] string Data);
