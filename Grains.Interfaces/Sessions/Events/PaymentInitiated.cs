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

    /// <summary>The provider's id for this attempt: how its webhooks find the session.</summary>
    [Id(2)]
    public required string ProviderReference { get; init; }

    [Id(3)]
    public string? RedirectUrl { get; init; }

    /// <summary>
    /// Until when the session waits for the provider's answer before it expires: decided when the
    /// attempt started, so later configuration changes never move it.
    /// </summary>
    [Id(4)]
    public DateTimeOffset? PendingUntil { get; init; }

    /// <summary>
    /// What this attempt asked the provider to take, in minor units: a success reporting any other
    /// figure is a mismatch, not a payment. Absent in rows written before attempts carried it;
    /// those attempts asked for the session's amount.
    /// </summary>
    [Id(5)]
    public long? Amount { get; init; }

    /// <summary>The currency this attempt asked for; absent in older rows (then the session's).</summary>
    [Id(6)]
    public string? Currency { get; init; }

    /// <summary>
    /// This attempt's payment request id (<c>pr-</c> + a UUID), issued for PAY sessions of the
    /// Xendit dialect, whose merchants know a payment by it; absent for other sessions and in older rows.
    /// </summary>
    [Id(7)]
    public string? PaymentRequestId { get; init; }

    /// <summary>
    /// The payer's address when the attempt started: the browser's (a public key, the hosted page)
    /// or the one the merchant's server gave (a secret key's <c>ip</c>); absent when nobody said,
    /// and in older rows. Personal data: shown to the owner, never logged.
    /// </summary>
    [Id(8)]
    public string? PayerIp { get; init; }

    /// <summary>
    /// The payer's browser (its <c>User-Agent</c>, at most <see cref="PayerFacts.MaxUserAgentLength"/>
    /// characters) when a browser started the attempt; absent when a merchant's server did, and in older rows.
    /// </summary>
    [Id(9)]
    public string? PayerUserAgent { get; init; }
}
