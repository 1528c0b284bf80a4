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
}
