namespace PaySessions.Grains.Payments;

/// <summary>
/// What a method costs the business: a static fee in minor units per currency (a currency with no
/// entry has none) plus a fraction of the amount (<c>0.029</c> is 2.9 %). Held exactly: minor
/// units as integers and the fraction as a decimal, never a double.
/// </summary>
[Immutable]
[GenerateSerializer]
[Alias("PaySessions.FeeSchedule")]
public sealed record FeeSchedule(
    [property: Id(0)] IReadOnlyDictionary<string, long> StaticFees,
    [property: Id(1)] decimal PercentFee)
{
    /// <summary>No fee at all: a method whose catalogue entry names none.</summary>
    public static FeeSchedule None { get; } = new(new Dictionary<string, long>(StringComparer.Ordinal), 0m);

    /// <summary>The static fee for a payment in <paramref name="currency"/>, in its minor units; 0 when the schedule names none for it.</summary>
    public long StaticFeeIn(string currency) => StaticFees.TryGetValue(currency, out var fee) ? fee : 0;
}

/// <summary>
/// Which of a business's methods to list: those offered in any of <see cref="Countries"/> and
/// taking any of <see cref="Currencies"/> (an empty list does not filter; a method that names no
/// countries, or no currencies, passes that filter always), with the fees of a company customer
/// when <see cref="IsCompany"/>, among the providers of the caller's mode.
/// </summary>
[Immutable]
[GenerateSerializer]
[Alias("PaySessions.PaymentMethodFilter")]
public sealed record PaymentMethodFilter(
    [property: Id(0)] IReadOnlyList<string> Countries,
    [property: Id(1)] IReadOnlyList<string> Currencies,
    [property: Id(2)] bool IsCompany,
    [property: Id(3)] bool Livemode);

/// <summary>
/// One enabled method as a merchant's method picker shows it: its image, where it is offered
/// (<see cref="Countries"/> empty: everywhere), what it takes (<see cref="Currencies"/> empty: any)
/// and the fee schedule that applies to the customer asked about.
/// </summary>
[Immutable]
[GenerateSerializer]
[Alias("PaySessions.PaymentMethodListing")]
public sealed record PaymentMethodListing(
    [property: Id(0)] string Id,
    [property: Id(1)] string Name,
    [property: Id(2)] string? Image,
    [property: Id(3)] IReadOnlyList<string> Countries,
    [property: Id(4)] IReadOnlyList<string> Currencies,
    [property: Id(5)] FeeSchedule Fees);
