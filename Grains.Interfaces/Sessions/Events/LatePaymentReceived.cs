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
}
