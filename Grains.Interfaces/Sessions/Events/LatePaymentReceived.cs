namespace PaySessions.Grains.Sessions.Events;

/// <summary>
/// A provider reported money taken for a session that had already ended (expired, canceled, or
/// paid by another attempt). The money is real, so the fact is kept; the session's status does
/// not change here. What is done with it is decided with it and recorded on it
/// (<see cref="Policy"/>, <see cref="Handling"/>): a refund asked of the provider (its request
/// queued in the same transaction), a late completion (<see cref="LatePaymentAccepted"/> follows
/// in the same append), or a flag for an operator. Rows from before policies have neither and
/// read as flagged for an operator, which is what they were.
/// </summary>
[GenerateSerializer]
[Alias("PaySessions.LatePaymentReceived")]
public sealed record LatePaymentReceived : PaymentSessionEvent
{
    [Id(0)]
    public required string Provider { get; init; }

    [Id(1)]
    public required string ProviderReference { get; init; }

    [Id(2)]
    public required string ProviderPaymentId { get; init; }

    /// <summary>What the provider reported taking (minor units); absent in rows written before reports carried it.</summary>
    [Id(3)]
    public long? Amount { get; init; }

    [Id(4)]
    public string? Currency { get; init; }

    /// <summary>What the attempt had asked for, so a refund knows both figures even when they differ.</summary>
    [Id(5)]
    public long? ExpectedAmount { get; init; }

    [Id(6)]
    public string? ExpectedCurrency { get; init; }

    /// <summary>The business's late-payment policy when this payment arrived; absent in older rows.</summary>
    [Id(60)]
    public LatePaymentPolicy? Policy { get; init; }

    /// <summary>
    /// What was done under that policy: <c>refund</c>, <c>accept</c>, or <c>manual</c> (also when
    /// the policy could not apply, e.g. accepting money in other figures than asked). Absent in older rows.
    /// </summary>
    [Id(61)]
    public LatePaymentPolicy? Handling { get; init; }

    /// <summary>The refund's id when <see cref="Handling"/> is refund: derived from the payment, so every try asks the provider with the same key.</summary>
    [Id(62)]
    public string? RefundId { get; init; }
}
