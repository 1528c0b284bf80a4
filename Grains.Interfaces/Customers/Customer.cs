namespace PaySessions.Grains.Customers;

/// <summary>The kinds of customer a business records; the Xendit-style dialect knows only INDIVIDUAL.</summary>
public enum CustomerType
{
    Individual = 0,
}

public enum CustomerGender
{
    Male = 0,
    Female = 1,
    Other = 2,
}

/// <summary>A person's names and the optional facts the merchant gave (validated by the front door).</summary>
[GenerateSerializer]
[Alias("PaySessions.IndividualDetail")]
public sealed record IndividualDetail
{
    [Id(0)]
    public required string GivenNames { get; init; }

    [Id(1)]
    public string? Surname { get; init; }

    /// <summary>ISO 3166-1 alpha-2.</summary>
    [Id(2)]
    public string? Nationality { get; init; }

    [Id(3)]
    public string? PlaceOfBirth { get; init; }

    [Id(4)]
    public DateOnly? DateOfBirth { get; init; }

    [Id(5)]
    public CustomerGender? Gender { get; init; }
}

/// <summary>
/// What a merchant says about a customer (the Xendit-style <c>customer</c> object): a typed record,
/// checked by the front door before it reaches the store.
/// </summary>
[GenerateSerializer]
[Alias("PaySessions.CustomerDetails")]
public sealed record CustomerDetails
{
    [Id(0)]
    public CustomerType Type { get; init; } = CustomerType.Individual;

    /// <summary>The merchant's own id for the customer: unique per business and mode.</summary>
    [Id(1)]
    public required string ReferenceId { get; init; }

    [Id(2)]
    public string? Email { get; init; }

    /// <summary>E.164, e.g. <c>+6212345678</c>.</summary>
    [Id(3)]
    public string? MobileNumber { get; init; }

    [Id(4)]
    public required IndividualDetail IndividualDetail { get; init; }
}

/// <summary>A customer of one business, in one mode (test or live), as stored.</summary>
[GenerateSerializer]
[Alias("PaySessions.Customer")]
public sealed record Customer(
    [property: Id(0)] string CustomerId,
    [property: Id(1)] string BusinessId,
    [property: Id(2)] bool Livemode,
    [property: Id(3)] DateTimeOffset CreatedAt,
    [property: Id(4)] CustomerDetails Details);

/// <summary>
/// The customer a reference resolved to. <see cref="Created"/>: this call made it.
/// <see cref="SameDetails"/>: the stored details equal the ones given (always true when created);
/// a front door decides what a reused reference with other details means.
/// </summary>
[GenerateSerializer]
[Alias("PaySessions.CustomerResolution")]
public sealed record CustomerResolution(
    [property: Id(0)] Customer Customer,
    [property: Id(1)] bool Created,
    [property: Id(2)] bool SameDetails);
