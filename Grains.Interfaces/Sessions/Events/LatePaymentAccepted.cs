namespace PaySessions.Grains.Sessions.Events;

/// <summary>
/// A late payment the business's policy (<c>accept</c>) lets complete the session: it follows its
/// <see cref="LatePaymentReceived"/> in the same append and moves the session to completed with
/// this payment's facts, as <see cref="Completed"/> would have. Only a payment in the figures its
/// attempt asked for, on an expired or canceled PAY session, is accepted.
/// </summary>
[GenerateSerializer]
[Alias("PaySessions.LatePaymentAccepted")]
public sealed record LatePaymentAccepted : PaymentSessionEvent
{
    [Id(60)]
    public required string Provider { get; init; }

    [Id(61)]
    public required string ProviderReference { get; init; }

    [Id(62)]
    public required string ProviderPaymentId { get; init; }

    /// <summary>The Xendit dialect's payment id (<c>py-…</c>), as on <see cref="Completed.PaymentId"/>; absent for other sessions.</summary>
    [Id(63)]
    public string? PaymentId { get; init; }

    /// <summary>The fee, computed as for a normal completion from the schedule of this moment.</summary>
    [Id(64)]
    public long? Fees { get; init; }

    [Id(65)]
    public ProviderCustomerDetails? CustomerDetails { get; init; }

    [Id(66)]
    public ProviderPaymentDetails? PaymentDetails { get; init; }
}
