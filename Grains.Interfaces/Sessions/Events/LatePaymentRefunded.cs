namespace PaySessions.Grains.Sessions.Events;

/// <summary>The provider gave a late payment back: the refund asked for by its <see cref="LatePaymentReceived"/> is done.</summary>
[GenerateSerializer]
[Alias("PaySessions.LatePaymentRefunded")]
public sealed record LatePaymentRefunded : PaymentSessionEvent
{
    /// <summary>This service's id for the refund (<see cref="LatePaymentReceived.RefundId"/>), sent to the provider as its idempotency key.</summary>
    [Id(60)]
    public required string RefundId { get; init; }

    [Id(61)]
    public required string Provider { get; init; }

    [Id(62)]
    public required string ProviderPaymentId { get; init; }

    /// <summary>The provider's own id for the refund, when it gave one.</summary>
    [Id(63)]
    public string? ProviderRefundId { get; init; }

    /// <summary>What was given back (minor units of <see cref="Currency"/>): what the provider reported taking.</summary>
    [Id(64)]
    public long? Amount { get; init; }

    [Id(65)]
    public string? Currency { get; init; }
}
