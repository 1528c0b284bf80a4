namespace PaySessions.Grains.Sessions;

/// <summary>One merchant webhook of a session and what became of it.</summary>
[GenerateSerializer]
[Alias("PaySessions.WebhookDelivery")]
public sealed record WebhookDelivery(
    [property: Id(0)] string Id,
    [property: Id(1)] string Type,
    [property: Id(2)] int Sequence,
    [property: Id(3)] string Status,
    [property: Id(4)] DateTimeOffset CreatedAt,
    [property: Id(5)] DateTimeOffset? NextAttemptAt,
    [property: Id(6)] DateTimeOffset? DeliveredAt,
    [property: Id(7)] IReadOnlyList<WebhookAttempt> Attempts);

[GenerateSerializer]
[Alias("PaySessions.WebhookAttempt")]
public sealed record WebhookAttempt(
    [property: Id(0)] int Attempt,
    [property: Id(1)] DateTimeOffset At,
    [property: Id(2)] int? StatusCode,
    [property: Id(3)] string? Error,
    [property: Id(4)] int DurationMs);
