namespace PaySessions.Grains.Sessions.Events;

/// <summary>A payment attempt was started with a provider for one payment method.</summary>
[GenerateSerializer]
[Alias("PaySessions.PaymentInitiated")]
public sealed record PaymentInitiated : PaymentSessionEvent
{
    [Id(0)]
    public required string PaymentMethodId { get; init; }

    [Id(1)]
    public required string Provider { get; init; }

    [Id(2)]
    public required string ProviderReference { get; init; }

    [Id(3)]
    public string? RedirectUrl { get; init; }
}
