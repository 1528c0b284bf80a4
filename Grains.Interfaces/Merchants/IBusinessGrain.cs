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
    /// The enabled methods whose provider is configured for the filter's mode, narrowed by its
    /// countries and currencies, each with the fee schedule for the customer it names (company or
    /// not), in catalogue order. Answered from memory: the business record and the catalogue.
    /// </summary>
    [Alias("ListPaymentMethods")]
    Task<IReadOnlyList<Payments.PaymentMethodListing>> ListPaymentMethods(Payments.PaymentMethodFilter filter);

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

    /// <summary>
    /// Creates this business as a sub-account of <paramref name="parentBusinessId"/>, or returns it
    /// unchanged when it already is one of that parent. Refused, changing nothing, when the parent
    /// is not registered, is itself a sub-account (sub-accounts are one level deep), is this
    /// business, or when this business already exists with another parent or none.
    /// </summary>
    [Alias("RegisterSubAccount")]
    Task<SubAccountRegistration> RegisterSubAccount(string name, string parentBusinessId);

    /// <summary>
    /// Called by a new sub-account on its parent, after the sub-account recorded its parent: the
    /// parent checks the record and adds the id to the set it acts for. The refusal, or null.
    /// </summary>
    [Alias("AdoptSubAccount")]
    Task<string?> AdoptSubAccount(string subAccountId);

    /// <summary>
    /// Whether this business may act for <paramref name="businessId"/>: itself, or one of its
    /// sub-accounts. Answered from memory.
    /// </summary>
    [Alias("ActsFor")]
    Task<bool> ActsFor(string businessId);

    /// <summary>
    /// The business a request of this business acts as, given its <c>for-user-id</c> header
    /// (<paramref name="forUserId"/>; null or empty: this business itself). Answered from memory,
    /// no database read: the hot path of every request that carries the header.
    /// </summary>
    [Alias("ResolveActingBusiness")]
    Task<ActingBusiness> ResolveActingBusiness(string? forUserId);

    /// <summary>
    /// Which payment channels (the channel codes of the catalogue) this business has enabled that
    /// fit a session of this currency, amount, type and mode, and which of the requested codes
    /// are not among them (in the order asked, for INVALID_PAYMENT_CHANNEL's message).
    /// </summary>
    [Alias("CheckPaymentChannels")]
    Task<PaymentChannelCheck> CheckPaymentChannels(PaymentChannelQuery query);

    /// <summary>
    /// Issues a new callback token (sent to the merchant as <c>x-callback-token</c> on webhooks of
    /// the Xendit-style dialect), returned here once and stored only encrypted; the previous token
    /// is no longer sent. Refused when the business is not registered.
    /// </summary>
    [Alias("RotateCallbackToken")]
    Task<CallbackTokenIssue> RotateCallbackToken();

    /// <summary>Sets the callback token to one the caller already holds (the Development business).</summary>
    [Alias("ImportCallbackToken")]
    Task<CallbackTokenIssue> ImportCallbackToken(string token);

    /// <summary>
    /// The callback token as stored, encrypted by the secret protector (the webhook dispatcher
    /// decrypts it just before sending); null when the business has none.
    /// </summary>
    [Alias("GetProtectedCallbackToken")]
    Task<string?> GetProtectedCallbackToken();

    /// <summary>
    /// Chooses which webhook event types of the Payviox dialect the business receives (names as in
    /// its bodies' <c>type</c>; comma-separated lists are split). All or nothing: an unknown name,
    /// or none at all, changes nothing and says why. Others are still recorded on the session's
    /// webhook log, as <c>unsubscribed</c>.
    /// </summary>
    [Alias("SetWebhookEvents")]
    Task<WebhookEventsChange> SetWebhookEvents(IReadOnlyList<string> events);

    /// <summary>
    /// Sets where the hosted page sends a customer after a completed payment of a Payviox-style
    /// session (with <c>session_id</c> added to its query); null or empty clears it. Refused,
    /// changing nothing, when the business is not registered or the URL is not absolute https
    /// (http only for loopback hosts in Development), carries credentials or is too long.
    /// </summary>
    [Alias("SetReturnUrl")]
    Task<ShopSettingChange> SetReturnUrl(string? url);

    /// <summary>
    /// Replaces the origins allowed to frame the hosted page (iframe mode); an empty list forbids
    /// framing again. All or nothing: one entry that is not <c>scheme://host[:port]</c> (https;
    /// http only for loopback hosts in Development) refuses the whole list.
    /// </summary>
    [Alias("SetFrameOrigins")]
    Task<ShopSettingChange> SetFrameOrigins(IReadOnlyList<string> origins);

    /// <summary>
    /// Sets what is done with money a provider reports after a session ended (refund, accept or
    /// manual). Applies to late payments that arrive from now on; each records the policy it met.
    /// Refused, changing nothing, when the business is not registered.
    /// </summary>
    [Alias("SetLatePaymentPolicy")]
    Task<LatePaymentPolicyChange> SetLatePaymentPolicy(Sessions.LatePaymentPolicy policy);

    /// <summary>The business's late-payment policy: refund (the default) unless it chose another, or is not registered.</summary>
    [Alias("GetLatePaymentPolicy")]
    Task<Sessions.LatePaymentPolicy> GetLatePaymentPolicy();
}

/// <summary>The business's late-payment policy after a change, or (not accepted) why nothing changed.</summary>
[GenerateSerializer]
[Alias("PaySessions.LatePaymentPolicyChange")]
public sealed record LatePaymentPolicyChange(
    [property: Id(60)] bool Accepted,
    [property: Id(61)] Sessions.LatePaymentPolicy Policy,
    [property: Id(62)] string? Error);

/// <summary>The business's chosen webhook event types after a change, or (not accepted) why nothing changed.</summary>
[GenerateSerializer]
[Alias("PaySessions.WebhookEventsChange")]
public sealed record WebhookEventsChange(
    [property: Id(0)] bool Accepted,
    [property: Id(1)] IReadOnlyList<string>? Events,
    [property: Id(2)] string? Error);

/// <summary>The business's return URL and frame origins after a change, or (not accepted) why not.</summary>
[GenerateSerializer]
[Alias("PaySessions.ShopSettingChange")]
public sealed record ShopSettingChange(
    [property: Id(0)] bool Accepted,
    [property: Id(1)] string? ReturnUrl,
    [property: Id(2)] IReadOnlyList<string> FrameOrigins,
    [property: Id(3)] string? Error);

[GenerateSerializer]
[Alias("PaySessions.BusinessProfile")]
public sealed record BusinessProfile(
    [property: Id(0)] string BusinessId,
    [property: Id(1)] string Name,
    [property: Id(2)] DateTimeOffset CreatedAt,
    [property: Id(3)] IReadOnlyList<ApiKeySummary> Keys,
    [property: Id(4)] IReadOnlyList<string> EnabledPaymentMethods,
    [property: Id(5)] string? ParentBusinessId = null,
    [property: Id(6)] IReadOnlyList<string>? SubAccounts = null,
    [property: Id(7)] bool HasCallbackToken = false,
    [property: Id(30)] IReadOnlyList<string>? WebhookEvents = null,
    [property: Id(40)] string? ReturnUrl = null,
    [property: Id(41)] IReadOnlyList<string>? FrameOrigins = null,
    [property: Id(60)] Sessions.LatePaymentPolicy LatePaymentPolicy = Sessions.LatePaymentPolicy.Refund);

/// <summary>A new or existing sub-account, or (not accepted) why not.</summary>
[GenerateSerializer]
[Alias("PaySessions.SubAccountRegistration")]
public sealed record SubAccountRegistration(
    [property: Id(0)] bool Accepted,
    [property: Id(1)] BusinessProfile? Profile,
    [property: Id(2)] string? Error);

/// <summary>
/// The business a request acts as: the caller itself or one of its sub-accounts. When
/// <see cref="Allowed"/> is false the caller named a business it does not own (or none that
/// exists), and <see cref="BusinessId"/> is the caller's own id.
/// </summary>
[GenerateSerializer]
[Alias("PaySessions.ActingBusiness")]
public sealed record ActingBusiness(
    [property: Id(0)] bool Allowed,
    [property: Id(1)] string BusinessId);

/// <summary>A session's figures, and the channel codes the merchant asked for (empty: any).</summary>
[GenerateSerializer]
[Alias("PaySessions.PaymentChannelQuery")]
public sealed record PaymentChannelQuery(
    [property: Id(0)] string Currency,
    [property: Id(1)] long Amount,
    [property: Id(2)] bool Livemode,
    [property: Id(3)] Sessions.SessionType SessionType,
    [property: Id(4)] IReadOnlyList<string> Requested);

/// <summary>
/// <see cref="Available"/>: the enabled methods that fit, narrowed to the requested codes when
/// any were asked for. <see cref="Unavailable"/>: requested codes that are not among the fitting
/// methods (unknown, not enabled, or not for this session), each once, in the order asked.
/// </summary>
[GenerateSerializer]
[Alias("PaySessions.PaymentChannelCheck")]
public sealed record PaymentChannelCheck(
    [property: Id(0)] IReadOnlyList<Sessions.AvailablePaymentMethod> Available,
    [property: Id(1)] IReadOnlyList<string> Unavailable)
{
    /// <summary>The distinct channel codes of <see cref="Available"/>, in catalogue order.</summary>
    public IReadOnlyList<string> Channels => [.. Available.Select(m => m.ChannelCode).Distinct(StringComparer.Ordinal)];
}

/// <summary>A callback token, shown once; or (not accepted) why none was issued.</summary>
[GenerateSerializer]
[Alias("PaySessions.CallbackTokenIssue")]
public sealed record CallbackTokenIssue(
    [property: Id(0)] bool Accepted,
    [property: Id(1)] string? Token,
    [property: Id(2)] string? Error);

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
    [property: Id(1)] string ProtectedSecret,
    [property: Id(2)] string? ProtectedCallbackToken = null,
    [property: Id(30)] IReadOnlyList<string>? WebhookEvents = null)
{
    /// <summary>
    /// Whether a delivery needing <paramref name="subscription"/> is sent: always when it needs none;
    /// otherwise when the business chose that type, or never chose at all (a business from before
    /// the choice existed keeps receiving every type, as it did).
    /// </summary>
    public bool Receives(string? subscription) =>
        subscription is null || WebhookEvents is null || WebhookEvents.Contains(subscription, StringComparer.Ordinal);
}
