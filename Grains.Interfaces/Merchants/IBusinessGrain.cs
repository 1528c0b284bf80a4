namespace PaySessions.Grains.Merchants;

/// <summary>A merchant business: its profile and the API keys it has been issued, keyed by business id.</summary>
[Alias("PaySessions.IBusinessGrain")]
public interface IBusinessGrain : IGrainWithStringKey
{
    /// <summary>Creates the business, or returns it unchanged when it already exists.</summary>
    [Alias("Register")]
    Task<BusinessProfile> Register(string name);

    /// <summary>The business, or null when it was never registered.</summary>
    [Alias("GetProfile")]
    Task<BusinessProfile?> GetProfile();

    /// <summary>
    /// Issues a new public and secret key pair. The plain keys are in the answer and nowhere
    /// else: only their SHA-256 hashes are stored.
    /// </summary>
    [Alias("IssueKeys")]
    Task<IssuedKeys> IssueKeys(ApiKeyMode mode);

    /// <summary>Registers a key the caller already holds (the fixed Development keys), idempotently.</summary>
    [Alias("ImportKey")]
    Task ImportKey(string plainKey);

    /// <summary>
    /// Sets which catalogue methods the business accepts (ids unknown to the catalogue are kept but
    /// never offered): the Development business's configured set. Operators use
    /// <see cref="EnableMethods"/> and <see cref="DisableMethods"/>.
    /// </summary>
    [Alias("EnablePaymentMethods")]
    Task EnablePaymentMethods(IReadOnlyList<string> methodIds);

    /// <summary>
    /// Adds methods to the business's set. Refused, changing nothing, when the business is not
    /// registered or any id is not in the catalogue or its provider is not configured.
    /// </summary>
    [Alias("EnableMethods")]
    Task<PaymentMethodsChange> EnableMethods(IReadOnlyList<string> methodIds);

    /// <summary>
    /// Removes methods from the business's set. Refused, changing nothing, when the business is not
    /// registered or an id is neither enabled nor in the catalogue.
    /// </summary>
    [Alias("DisableMethods")]
    Task<PaymentMethodsChange> DisableMethods(IReadOnlyList<string> methodIds);

    /// <summary>
    /// The enabled methods whose provider is configured for this mode (live providers when
    /// <paramref name="livemode"/>, test providers and the sandbox otherwise) and that fit this
    /// currency and amount.
    /// </summary>
    [Alias("GetAvailablePaymentMethods")]
    Task<IReadOnlyList<Sessions.AvailablePaymentMethod>> GetAvailablePaymentMethods(string currency, long amount, bool livemode);

    /// <summary>
    /// Sets where session webhooks go and issues a new signing secret, returned once (stored only
    /// encrypted). Refuses a URL that is not absolute http(s), or (outside Development) not https
    /// or pointing at a loopback or private address.
    /// </summary>
    [Alias("ConfigureWebhook")]
    Task<WebhookConfiguration> ConfigureWebhook(string url);

    /// <summary>Sets the webhook URL with a secret the caller already holds (the Development business).</summary>
    [Alias("ImportWebhook")]
    Task<WebhookConfiguration> ImportWebhook(string url, string secret);

    /// <summary>Where this business's webhooks go and the encrypted secret they are signed with; null when none is set.</summary>
    [Alias("GetWebhookTarget")]
    Task<WebhookTarget?> GetWebhookTarget();

    /// <summary>Revokes one of this business's keys; false when the key is not one of them.</summary>
    [Alias("RevokeKey")]
    Task<bool> RevokeKey(string keyHash);
}

[GenerateSerializer]
[Alias("PaySessions.BusinessProfile")]
public sealed record BusinessProfile(
    [property: Id(0)] string BusinessId,
    [property: Id(1)] string Name,
    [property: Id(2)] DateTimeOffset CreatedAt,
    [property: Id(3)] IReadOnlyList<ApiKeySummary> Keys,
    [property: Id(4)] IReadOnlyList<string> EnabledPaymentMethods);

/// <summary>The business's enabled methods after a change, or (not accepted) as they stay and why.</summary>
[GenerateSerializer]
[Alias("PaySessions.PaymentMethodsChange")]
public sealed record PaymentMethodsChange(
    [property: Id(0)] bool Accepted,
    [property: Id(1)] IReadOnlyList<string> Enabled,
    [property: Id(2)] string? Error);

/// <summary>What may be shown of a key: its kind and first characters, never the key.</summary>
[GenerateSerializer]
[Alias("PaySessions.ApiKeySummary")]
public sealed record ApiKeySummary(
    [property: Id(0)] string Hash,
    [property: Id(1)] string Prefix,
    [property: Id(2)] ApiKeyKind Kind,
    [property: Id(3)] ApiKeyMode Mode,
    [property: Id(4)] DateTimeOffset CreatedAt,
    [property: Id(5)] DateTimeOffset? RevokedAt);

[GenerateSerializer]
[Alias("PaySessions.IssuedKeys")]
public sealed record IssuedKeys(
    [property: Id(0)] string BusinessId,
    [property: Id(1)] string PublicKey,
    [property: Id(2)] string SecretKey);

[GenerateSerializer]
[Alias("PaySessions.WebhookConfiguration")]
public sealed record WebhookConfiguration(
    [property: Id(0)] bool Accepted,
    [property: Id(1)] string? Secret,
    [property: Id(2)] string? Error);

[GenerateSerializer]
[Alias("PaySessions.WebhookTarget")]
public sealed record WebhookTarget(
    [property: Id(0)] string Url,
    [property: Id(1)] string ProtectedSecret);
