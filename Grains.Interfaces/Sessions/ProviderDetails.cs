namespace PaySessions.Grains.Sessions;

/// <summary>
/// Who paid, as the provider reported it with a success (<c>customer_details</c>). Every field is
/// optional: providers know different things. Checked before it is recorded (see
/// <c>ProviderDetailsReader</c> in Grains): bounded lengths, no control characters, a two-letter
/// country.
/// </summary>
[Immutable]
[GenerateSerializer]
[Alias("PaySessions.ProviderCustomerDetails")]
public sealed record ProviderCustomerDetails
{
    [Id(0)]
    public string? Name { get; init; }

    [Id(1)]
    public string? Email { get; init; }

    [Id(2)]
    public string? Phone { get; init; }

    [Id(3)]
    public ProviderAddress? Address { get; init; }
}

/// <summary>The payer's address as the provider reported it; <see cref="Country"/> is ISO 3166-1 alpha-2, upper case.</summary>
[Immutable]
[GenerateSerializer]
[Alias("PaySessions.ProviderAddress")]
public sealed record ProviderAddress
{
    [Id(0)]
    public string? Line1 { get; init; }

    [Id(1)]
    public string? Line2 { get; init; }

    [Id(2)]
    public string? City { get; init; }

    [Id(3)]
    public string? State { get; init; }

    [Id(4)]
    public string? PostalCode { get; init; }

    [Id(5)]
    public string? Country { get; init; }
}

/// <summary>
/// How the payment was made, as the provider reported it (<c>payment_details</c>): its
/// <see cref="Type"/> (<c>card</c>, <c>wallet</c>, …) and, for a card, what may be shown of it.
/// Never a full card number: only the last four digits.
/// </summary>
[Immutable]
[GenerateSerializer]
[Alias("PaySessions.ProviderPaymentDetails")]
public sealed record ProviderPaymentDetails
{
    [Id(0)]
    public required string Type { get; init; }

    [Id(1)]
    public ProviderCard? Card { get; init; }
}

/// <summary>A card as a provider may show it: brand, last four digits, expiry and issuing country.</summary>
[Immutable]
[GenerateSerializer]
[Alias("PaySessions.ProviderCard")]
public sealed record ProviderCard
{
    [Id(0)]
    public string? Brand { get; init; }

    /// <summary>Exactly four ASCII digits when present.</summary>
    [Id(1)]
    public string? Last4 { get; init; }

    /// <summary>1 to 12 when present.</summary>
    [Id(2)]
    public int? ExpMonth { get; init; }

    /// <summary>Four digits when present.</summary>
    [Id(3)]
    public int? ExpYear { get; init; }

    /// <summary>The issuing country (ISO 3166-1 alpha-2, upper case): the card's, not the payer's.</summary>
    [Id(4)]
    public string? Country { get; init; }
}
