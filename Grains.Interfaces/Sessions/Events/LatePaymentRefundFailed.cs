namespace PaySessions.Grains.Sessions.Events;

/// <summary>
/// The refund of a late payment failed for good (refused by the provider, not supported by it, or
/// still failing after every retry): the money is still held, and the session is flagged for an
/// operator (manual review).
/// </summary>
[GenerateSerializer]
[Alias("PaySessions.LatePaymentRefundFailed")]
public sealed record LatePaymentRefundFailed : PaymentSessionEvent
{
    [Id(60)]
    public required string RefundId { get; init; }

    [Id(61)]
    public required string Provider { get; init; }

    [Id(62)]
    public required string ProviderPaymentId { get; init; }

    [Id(63)]
    public required string Reason { get; init; }
}
