namespace PaySessions.Grains.Sessions;

/// <summary>
/// The facts a Xendit-style create carries beyond the shared ones, recorded on Created (null for
/// Payviox sessions). The shared facts stay where they are: <c>reference_id</c> is the session's
/// <see cref="CreateSession.OrderId"/> (unique per business and mode), <c>session_type</c> its
/// <see cref="SessionType"/>, <c>metadata</c> and <c>description</c> its own, the amount its
/// integer minor units. Enums are stored in snake case like every event field.
/// </summary>
[GenerateSerializer]
[Alias("PaySessions.XenditSessionDetails")]
public sealed record XenditSessionDetails
{
    /// <summary>The customer (<c>cust-…</c>) the session is for, found or created before the session; null when none was given.</summary>
    [Id(0)]
    public string? CustomerId { get; init; }

    [Id(1)]
    public required IntegrationMode Mode { get; init; }

    /// <summary>Null when the merchant sent none (it is refused for SAVE sessions).</summary>
    [Id(2)]
    public CaptureMethod? CaptureMethod { get; init; }

    [Id(3)]
    public SavePaymentMethod? AllowSavePaymentMethod { get; init; }

    /// <summary>ISO 3166-1 alpha-2 country of the transaction.</summary>
    [Id(4)]
    public required string Country { get; init; }

    /// <summary>The <c>channel_properties</c> object exactly as sent (JSON text), kept for the provider; null when absent.</summary>
    [Id(5)]
    public string? ChannelProperties { get; init; }

    /// <summary>Channel codes the customer may choose from; empty: every channel the business has enabled that fits.</summary>
    [Id(6)]
    public IReadOnlyList<string> AllowedPaymentChannels { get; init; } = [];

    /// <summary>ISO 639-1 language of the hosted page.</summary>
    [Id(7)]
    public string Locale { get; init; } = "en";

    [Id(8)]
    public string? SuccessReturnUrl { get; init; }

    [Id(9)]
    public string? CancelReturnUrl { get; init; }

    /// <summary>
    /// The amount as the merchant sent it, in major units (a JSON number, held exactly): what the
    /// dialect answers with. The session's <c>Amount</c> is the same money in minor units.
    /// </summary>
    [Id(10)]
    public required decimal AmountAsSent { get; init; }

    /// <summary>The items as sent (PAY only); null when the merchant sent none.</summary>
    [Id(11)]
    public IReadOnlyList<XenditItem>? Items { get; init; }

    /// <summary>Whether the merchant sent a <c>metadata</c> object (the dialect answers <c>null</c> when not).</summary>
    [Id(12)]
    public bool MetadataSent { get; init; }
}

/// <summary>One item of a Xendit-style session, as sent. Amounts are major units held exactly.</summary>
[GenerateSerializer]
[Alias("PaySessions.XenditItem")]
public sealed record XenditItem
{
    [Id(0)]
    public required string ReferenceId { get; init; }

    [Id(1)]
    public XenditItemType? Type { get; init; }

    [Id(2)]
    public required string Name { get; init; }

    [Id(3)]
    public required decimal NetUnitAmount { get; init; }

    [Id(4)]
    public required long Quantity { get; init; }

    [Id(5)]
    public required string Category { get; init; }

    [Id(6)]
    public string? Subcategory { get; init; }

    [Id(7)]
    public string? Description { get; init; }

    [Id(8)]
    public string? Url { get; init; }

    [Id(9)]
    public string? ImageUrl { get; init; }

    /// <summary>The item's currency when the merchant sent one (the seed's example does).</summary>
    [Id(10)]
    public string? Currency { get; init; }

    [Id(11)]
    public IReadOnlyDictionary<string, string>? Metadata { get; init; }
}

/// <summary>How the merchant's front end collects the payment.</summary>
public enum IntegrationMode
{
    PaymentLink = 0,
    Components = 1,
}

public enum CaptureMethod
{
    Automatic = 0,
    Manual = 1,
}

/// <summary>Whether a PAY session saves the customer's payment details.</summary>
public enum SavePaymentMethod
{
    Disabled = 0,
    Optional = 1,
    Forced = 2,
}

public enum XenditItemType
{
    DigitalProduct = 0,
    PhysicalProduct = 1,
    DigitalService = 2,
    PhysicalService = 3,
    Fee = 4,
}
