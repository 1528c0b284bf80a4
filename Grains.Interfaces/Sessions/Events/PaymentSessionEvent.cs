namespace PaySessions.Grains.Sessions.Events;

/// <summary>
/// Base of every fact in a payment session's log. Each event carries its own id, so that a
/// batch the log adaptor retries after an ambiguous failure is recognised instead of appended
/// twice, and the time it happened, taken from the grain's <see cref="TimeProvider"/>.
/// </summary>
/// <remarks>
/// The stored names of the concrete events (Created, PaymentInitiated, Completed, Expired,
/// Canceled) are a contract with every row already written: see <c>EventTypes</c> in Grains.
/// </remarks>
[GenerateSerializer]
[Alias("PaySessions.PaymentSessionEvent")]
public abstract record PaymentSessionEvent
{
    [Id(0)]
    public required Guid EventId { get; init; }

    [Id(1)]
    public required DateTimeOffset OccurredAt { get; init; }
}
