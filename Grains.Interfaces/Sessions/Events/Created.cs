namespace PaySessions.Grains.Sessions.Events;

/// <summary>The session exists: every fact the merchant gave when creating it.</summary>
[GenerateSerializer]
[Alias("PaySessions.Created")]
public sealed record Created : PaymentSessionEvent
{
    [Id(0)]
    public required string BusinessId { get; init; }

    [Id(1)]
    public required string OrderId { get; init; }

    [Id(2)]
    public required string Customer { get; init; }

    /// <summary>In the currency's minor units (cents for USD), never a float.</summary>
    [Id(3)]
    public required long Amount { get; init; }

    [Id(4)]
    public required string Currency { get; init; }

    [Id(5)]
    public required IReadOnlyList<LineItem> Items { get; init; }

    [Id(6)]
    public string? Description { get; init; }

    [Id(7)]
    public IReadOnlyDictionary<string, string> Metadata { get; init; } = new Dictionary<string, string>();

    /// <summary>The end user's address, when the merchant gave one or the request carried it.</summary>
    [Id(8)]
    public string? ClientIp { get; init; }

    [Id(9)]
    public required DateTimeOffset ExpiresAt { get; init; }

    /// <summary>Which merchant API created the session; each answers in its own shapes.</summary>
    [Id(10)]
    public required SessionDialect Dialect { get; init; }

    [Id(11)]
    public SessionType SessionType { get; init; } = SessionType.Pay;

    /// <summary>
    /// True when a live key created the session, false for a test key. Null only in rows written
    /// before modes were recorded, which read as test: a session never becomes live by default,
    /// so it can reach a live provider only when a live key asked for it.
    /// </summary>
    [Id(12)]
    public bool? Livemode { get; init; }

    /// <summary>
    /// What a Xendit-style create said beyond the shared facts (stored as <c>xendit</c>); absent
    /// for Payviox sessions and in every row written before the dialect existed.
    /// </summary>
    [Id(13)]
    public XenditSessionDetails? Xendit { get; init; }
}
