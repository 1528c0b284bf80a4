namespace PaySessions.Grains.Sessions.Events;

/// <summary>
/// A provider reported money taken for a session that had already ended (expired, canceled, or
/// paid by another attempt). The money is real, so the fact is kept and the session is flagged
/// for a refund; the session's status does not change.
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
}
