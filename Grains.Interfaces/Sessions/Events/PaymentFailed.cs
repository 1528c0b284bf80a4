namespace PaySessions.Grains.Sessions.Events;

/// <summary>The provider declined an attempt. The session stays open for another try.</summary>
[GenerateSerializer]
[Alias("PaySessions.PaymentFailed")]
public sealed record PaymentFailed : PaymentSessionEvent
{
    [Id(0)]
    public required string Provider { get; init; }

    [Id(1)]
    public required string ProviderReference { get; init; }

    [Id(2)]
    public string? Reason { get; init; }
}
