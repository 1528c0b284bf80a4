namespace PaySessions.Grains.Sessions.Events;

/// <summary>The merchant canceled the session before it completed.</summary>
[GenerateSerializer]
[Alias("PaySessions.Canceled")]
public sealed record Canceled : PaymentSessionEvent
{
    [Id(0)]
    public string? Reason { get; init; }
}
