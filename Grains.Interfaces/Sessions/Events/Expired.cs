namespace PaySessions.Grains.Sessions.Events;

/// <summary>The session's time ran out before a payment completed.</summary>
[GenerateSerializer]
[Alias("PaySessions.Expired")]
public sealed record Expired : PaymentSessionEvent;
