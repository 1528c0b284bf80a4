namespace PaySessions.Grains.Sessions.Events;

/// <summary>
/// A provider reported a success whose amount or currency differs from what the attempt asked
/// for. Such money never completes the session: it is kept as a fact with both figures and
/// flagged for review and refund. The attempt is settled (no longer pending); the session stays
/// open so the customer can still pay the right amount.
/// </summary>
[GenerateSerializer]
[Alias("PaySessions.PaymentMismatch")]
public sealed record PaymentMismatch : PaymentSessionEvent
{
    [Id(0)]
    public required string Provider { get; init; }

    [Id(1)]
    public required string ProviderReference { get; init; }

    [Id(2)]
    public required string ProviderPaymentId { get; init; }

    /// <summary>What the provider reported taking, in minor units of <see cref="Currency"/>.</summary>
    [Id(3)]
    public required long Amount { get; init; }

    [Id(4)]
    public required string Currency { get; init; }

    /// <summary>What the attempt asked for.</summary>
    [Id(5)]
    public required long ExpectedAmount { get; init; }

    [Id(6)]
    public required string ExpectedCurrency { get; init; }
}
