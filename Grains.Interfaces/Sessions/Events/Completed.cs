namespace PaySessions.Grains.Sessions.Events;

/// <summary>The provider confirmed the payment: the session is paid and final.</summary>
[GenerateSerializer]
[Alias("PaySessions.Completed")]
public sealed record Completed : PaymentSessionEvent
{
    [Id(0)]
    public required string Provider { get; init; }

    [Id(1)]
    public required string ProviderPaymentId { get; init; }

    /// <summary>The attempt that succeeded (absent in rows written before attempts were tracked).</summary>
    [Id(2)]
    public string? ProviderReference { get; init; }

    /// <summary>
    /// The payment id (<c>py-</c> + a UUID) a PAY session of the Xendit dialect completes with;
    /// absent for other sessions and in older rows.
    /// </summary>
    [Id(3)]
    public string? PaymentId { get; init; }

    /// <summary>
    /// The saved payment method the provider issued (e.g. the sandbox's <c>ptkn-…</c>): what a SAVE
    /// session completes with, no money having moved. Absent when the provider saved nothing.
    /// </summary>
    [Id(4)]
    public string? PaymentTokenId { get; init; }

    /// <summary>
    /// What the payment cost the business, in minor units of the session's currency: computed once,
    /// when the payment completed, from the method's fee schedule of that moment, so later schedule
    /// changes never move it. Absent in older rows, for SAVE sessions and where no schedule applied.
    /// </summary>
    [Id(5)]
    public long? Fees { get; init; }

    /// <summary>Who paid, as the provider reported it; absent when it said nothing (or something malformed) and in older rows.</summary>
    [Id(6)]
    public ProviderCustomerDetails? CustomerDetails { get; init; }

    /// <summary>How it was paid (type, card brand, last four digits, expiry) as the provider reported it; absent likewise.</summary>
    [Id(7)]
    public ProviderPaymentDetails? PaymentDetails { get; init; }
}
