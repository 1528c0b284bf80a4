using System.Security.Cryptography;
using PaySessions.Grains.Payments;
using PaySessions.Grains.Sessions;
using PaySessions.Grains.Storage;
using PaySessions.Grains.Webhooks;

namespace PaySessions.Grains.Merchants;

/// <summary>
/// A business's settings: small, rarely written and read from memory once active, so plain
/// ADO.NET grain storage rather than an event log.
/// </summary>
public sealed class BusinessGrain(
    [PersistentState("business", StorageNames.Merchants)] IPersistentState<BusinessGrain.BusinessRecord> record,
    IGrainFactory grains,
    PaymentMethodCatalog catalog,
    SecretProtector secrets,
    IBusinessDirectory directory,
    Microsoft.Extensions.Options.IOptions<Webhooks.WebhookOptions> webhookOptions,
    Microsoft.Extensions.Hosting.IHostEnvironment environment,
    TimeProvider clock)
    : Grain, IBusinessGrain
{
    private const string KeyAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

    // 32 characters of 62 symbols: about 190 random bits per key.
    private const int KeyRandomLength = 32;

    // 48 characters of 62 symbols: about 285 random bits, a length Xendit-style merchants expect.
    private const int CallbackTokenLength = 48;

    // The businesses this one may act for (itself and its sub-accounts), built from the record
    // on first use and rebuilt when the record changes: for-user-id is answered from memory.
    private HashSet<string>? _actsFor;

    private string BusinessId => this.GetPrimaryKeyString();

    public async Task<BusinessProfile> Register(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (!record.RecordExists)
        {
            record.State = new BusinessRecord { Name = name.Trim(), CreatedAt = clock.GetUtcNow(), WebhookEvents = [.. PayvioxWebhookEvents.Default] };
            await record.WriteStateRetryingAsync();
        }

        // Listed after the record exists, and again on every Register (a no-op then): a failure
        // between the two writes is mended by the next call instead of hiding the business.
        await directory.AddAsync(BusinessId, record.State.CreatedAt, record.State.ParentBusinessId);
        return Profile();
    }

    public async Task<SubAccountRegistration> RegisterSubAccount(string name, string parentBusinessId)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentException.ThrowIfNullOrWhiteSpace(parentBusinessId);
        if (string.Equals(parentBusinessId, BusinessId, StringComparison.Ordinal))
        {
            return new SubAccountRegistration(false, null, "A business cannot be its own sub-account.");
        }

        if (record.RecordExists)
        {
            // A business's parent is fixed when it is created: an existing business with another
            // parent, or none, stays what it is. The same parent again mends listing and adoption.
            if (!string.Equals(record.State.ParentBusinessId, parentBusinessId, StringComparison.Ordinal))
            {
                return new SubAccountRegistration(false, null, record.State.ParentBusinessId is { } other
                    ? $"Business {BusinessId} is already a sub-account of {other}."
                    : $"Business {BusinessId} already exists and is not a sub-account.");
            }
        }
        else
        {
            // One level deep: a parent that is itself a sub-account is refused. A business's parent
            // never changes once it exists, so the answer cannot go stale before this one is listed.
            var parent = await grains.GetGrain<IBusinessGrain>(parentBusinessId).GetProfile();
            if (parent is null)
            {
                return new SubAccountRegistration(false, null, $"Business {parentBusinessId} is not registered.");
            }

            if (parent.ParentBusinessId is { } grandparent)
            {
                return new SubAccountRegistration(
                    false, null, $"Business {parentBusinessId} is itself a sub-account of {grandparent}: sub-accounts are one level deep.");
            }

            record.State = new BusinessRecord
            {
                Name = name.Trim(), CreatedAt = clock.GetUtcNow(), ParentBusinessId = parentBusinessId, WebhookEvents = [.. PayvioxWebhookEvents.Default],
            };
            await record.WriteStateRetryingAsync();
        }

        // The sub-account is recorded (grain, then listed with its parent) before the parent learns
        // of it: a failure in between leaves a sub-account its parent cannot act for yet (safe),
        // and running this again finishes the job.
        await directory.AddAsync(BusinessId, record.State.CreatedAt, parentBusinessId);
        if (await grains.GetGrain<IBusinessGrain>(parentBusinessId).AdoptSubAccount(BusinessId) is { } refused)
        {
            return new SubAccountRegistration(false, null, refused);
        }

        return new SubAccountRegistration(true, Profile(), null);
    }

    public async Task<string?> AdoptSubAccount(string subAccountId)
    {
        if (!record.RecordExists)
        {
            return $"Business {BusinessId} is not registered.";
        }

        if (record.State.ParentBusinessId is { } parent)
        {
            return $"Business {BusinessId} is itself a sub-account of {parent}: sub-accounts are one level deep.";
        }

        if (ActingSet().Contains(subAccountId))
        {
            return null;
        }

        // The listing is the record of parentage (written by the sub-account itself): the parent
        // acts only for businesses listed as its sub-accounts.
        var listed = await directory.SubAccountsOfAsync(BusinessId);
        if (!listed.Contains(subAccountId, StringComparer.Ordinal))
        {
            return $"Business {subAccountId} is not recorded as a sub-account of {BusinessId}.";
        }

        record.State.SubAccounts = [.. record.State.SubAccounts.Union(listed, StringComparer.Ordinal)];
        await record.WriteStateRetryingAsync();
        _actsFor = null;
        return null;
    }

    public Task<bool> ActsFor(string businessId) => Task.FromResult(record.RecordExists && ActingSet().Contains(businessId));

    public Task<ActingBusiness> ResolveActingBusiness(string? forUserId) =>
        Task.FromResult(
            string.IsNullOrEmpty(forUserId) ? new ActingBusiness(record.RecordExists, BusinessId)
            : record.RecordExists && ActingSet().Contains(forUserId) ? new ActingBusiness(true, forUserId)
            : new ActingBusiness(false, BusinessId));

    private HashSet<string> ActingSet() =>
        _actsFor ??= [BusinessId, .. record.State.SubAccounts];

    public Task<PaymentChannelCheck> CheckPaymentChannels(PaymentChannelQuery query) =>
        Task.FromResult(record.RecordExists
            ? catalog.Channels(record.State.EnabledPaymentMethods, query)
            : new PaymentChannelCheck([], [.. query.Requested.Distinct(StringComparer.Ordinal)]));

    public Task<CallbackTokenIssue> RotateCallbackToken() =>
        SetCallbackToken(RandomNumberGenerator.GetString(KeyAlphabet, CallbackTokenLength));

    public Task<CallbackTokenIssue> ImportCallbackToken(string token) => SetCallbackToken(token);

    public Task<string?> GetProtectedCallbackToken() =>
        Task.FromResult(record.RecordExists ? record.State.CallbackToken : null);

    // Stored encrypted like the webhook secret, and replaced whole: the previous token is gone.
    private async Task<CallbackTokenIssue> SetCallbackToken(string token)
    {
        if (!record.RecordExists)
        {
            return new CallbackTokenIssue(false, null, $"Business {BusinessId} is not registered.");
        }

        if (string.IsNullOrWhiteSpace(token) || token.Length < 16)
        {
            return new CallbackTokenIssue(false, null, "The callback token must be at least 16 characters.");
        }

        record.State.CallbackToken = secrets.Protect(token);
        await record.WriteStateRetryingAsync();
        return new CallbackTokenIssue(true, token, null);
    }

    public async Task<ShopSettingChange> SetReturnUrl(string? url)
    {
        if (!record.RecordExists)
        {
            return new ShopSettingChange(false, null, [], $"Business {BusinessId} is not registered.");
        }

        string? canonical = null;
        if (!string.IsNullOrEmpty(url))
        {
            (canonical, var error) = ShopAddresses.CheckReturnUrl(url, AllowLoopbackHttp);
            if (error is not null)
            {
                return ShopSettings(false, error);
            }
        }

        record.State.ReturnUrl = canonical;
        await record.WriteStateRetryingAsync();
        return ShopSettings(true, null);
    }

    public async Task<ShopSettingChange> SetFrameOrigins(IReadOnlyList<string> origins)
    {
        if (!record.RecordExists)
        {
            return new ShopSettingChange(false, null, [], $"Business {BusinessId} is not registered.");
        }

        var (canonical, error) = ShopAddresses.CheckFrameOrigins(origins, AllowLoopbackHttp);
        if (error is not null)
        {
            return ShopSettings(false, error);
        }

        record.State.FrameOrigins = [.. canonical];
        await record.WriteStateRetryingAsync();
        return ShopSettings(true, null);
    }

    // A shop on the developer's own machine (http://localhost:3000) is fine in Development and
    // tests; anywhere else a real customer would be sent to their own computer.
    private bool AllowLoopbackHttp => Microsoft.Extensions.Hosting.HostEnvironmentEnvExtensions.IsDevelopment(environment);

    private ShopSettingChange ShopSettings(bool accepted, string? error) =>
        new(accepted, record.State.ReturnUrl, [.. record.State.FrameOrigins], error);

    public Task<BusinessProfile?> GetProfile() =>
        Task.FromResult(record.RecordExists ? Profile() : null);

    public async Task<IssuedKeys> IssueKeys(ApiKeyMode mode)
    {
        EnsureRegistered();
        var publicKey = ApiKeys.Prefix(ApiKeyKind.Public, mode) + RandomNumberGenerator.GetString(KeyAlphabet, KeyRandomLength);
        var secretKey = ApiKeys.Prefix(ApiKeyKind.Secret, mode) + RandomNumberGenerator.GetString(KeyAlphabet, KeyRandomLength);
        await AddKeys([publicKey, secretKey]);
        return new IssuedKeys(BusinessId, publicKey, secretKey);
    }

    public Task ImportKey(string plainKey)
    {
        EnsureRegistered();
        return AddKeys([plainKey]);
    }

    public async Task EnablePaymentMethods(IReadOnlyList<string> methodIds)
    {
        EnsureRegistered();
        record.State.EnabledPaymentMethods = [.. methodIds.Distinct(StringComparer.Ordinal)];
        await record.WriteStateRetryingAsync();
    }

    public async Task<PaymentMethodsChange> EnableMethods(IReadOnlyList<string> methodIds)
    {
        if (RefuseChange(methodIds) is { } refused)
        {
            return refused;
        }

        // All or nothing: one refused id leaves the set as it was.
        foreach (var id in methodIds)
        {
            if (catalog.RefusalToEnable(id) is { } refusal)
            {
                return new PaymentMethodsChange(false, [.. record.State.EnabledPaymentMethods], refusal);
            }
        }

        var added = methodIds.Distinct(StringComparer.Ordinal).Where(id => !record.State.EnabledPaymentMethods.Contains(id, StringComparer.Ordinal)).ToList();
        if (added.Count > 0)
        {
            record.State.EnabledPaymentMethods.AddRange(added);
            await record.WriteStateRetryingAsync();
        }

        return new PaymentMethodsChange(true, [.. record.State.EnabledPaymentMethods], null);
    }

    public async Task<PaymentMethodsChange> DisableMethods(IReadOnlyList<string> methodIds)
    {
        if (RefuseChange(methodIds) is { } refused)
        {
            return refused;
        }

        // A method that is not enabled is fine to disable again, but an id neither enabled nor in
        // the catalogue is a typo: say so rather than report success.
        var enabled = record.State.EnabledPaymentMethods;
        if (methodIds.FirstOrDefault(id => !enabled.Contains(id, StringComparer.Ordinal) && !catalog.Lists(id)) is { } unknown)
        {
            return new PaymentMethodsChange(false, [.. enabled], $"Unknown payment method '{unknown}': it is neither enabled for {BusinessId} nor in the catalogue.");
        }

        if (enabled.RemoveAll(id => methodIds.Contains(id, StringComparer.Ordinal)) > 0)
        {
            await record.WriteStateRetryingAsync();
        }

        return new PaymentMethodsChange(true, [.. enabled], null);
    }

    private PaymentMethodsChange? RefuseChange(IReadOnlyList<string> methodIds)
    {
        if (!record.RecordExists)
        {
            return new PaymentMethodsChange(false, [], $"Business {BusinessId} is not registered.");
        }

        return methodIds.Count == 0
            ? new PaymentMethodsChange(false, [.. record.State.EnabledPaymentMethods], "Name at least one payment method.")
            : null;
    }

    public Task<IReadOnlyList<AvailablePaymentMethod>> GetAvailablePaymentMethods(string currency, long amount, bool livemode) =>
        Task.FromResult(record.RecordExists ? catalog.Available(record.State.EnabledPaymentMethods, currency, amount, livemode) : []);

    public Task<IReadOnlyList<PaymentMethodListing>> ListPaymentMethods(PaymentMethodFilter filter) =>
        Task.FromResult(record.RecordExists ? catalog.List(record.State.EnabledPaymentMethods, filter) : []);

    public Task<WebhookConfiguration> ConfigureWebhook(string url) =>
        SetWebhook(url, "whsec_" + RandomNumberGenerator.GetString(KeyAlphabet, KeyRandomLength));

    public Task<WebhookConfiguration> ImportWebhook(string url, string secret) => SetWebhook(url, secret);

    public Task<WebhookTarget?> GetWebhookTarget() =>
        Task.FromResult(record.RecordExists && record.State.WebhookUrl is { } url && record.State.WebhookSecret is { } secret
            ? new WebhookTarget(url, secret, record.State.CallbackToken, record.State.WebhookEvents is { } events ? [.. events] : null)
            : null);

    public async Task<WebhookEventsChange> SetWebhookEvents(IReadOnlyList<string> events)
    {
        if (!record.RecordExists)
        {
            return new WebhookEventsChange(false, null, $"Business {BusinessId} is not registered.");
        }

        var (chosen, error) = PayvioxWebhookEvents.Parse(events);
        if (chosen is null)
        {
            return new WebhookEventsChange(false, record.State.WebhookEvents is { } kept ? [.. kept] : null, error);
        }

        record.State.WebhookEvents = [.. chosen];
        await record.WriteStateRetryingAsync();
        return new WebhookEventsChange(true, chosen, null);
    }

    public async Task<LatePaymentPolicyChange> SetLatePaymentPolicy(LatePaymentPolicy policy)
    {
        if (!record.RecordExists)
        {
            return new LatePaymentPolicyChange(false, LatePaymentPolicy.Refund, $"Business {BusinessId} is not registered.");
        }

        if (!Enum.IsDefined(policy))
        {
            return new LatePaymentPolicyChange(false, record.State.LatePaymentPolicy, "Unknown late-payment policy: expected refund, accept or manual.");
        }

        if (record.State.LatePaymentPolicy != policy)
        {
            record.State.LatePaymentPolicy = policy;
            await record.WriteStateRetryingAsync();
        }

        return new LatePaymentPolicyChange(true, policy, null);
    }

    public Task<LatePaymentPolicy> GetLatePaymentPolicy() =>
        Task.FromResult(record.RecordExists ? record.State.LatePaymentPolicy : LatePaymentPolicy.Refund);

    private async Task<WebhookConfiguration> SetWebhook(string url, string secret)
    {
        if (!record.RecordExists)
        {
            return new WebhookConfiguration(false, null, $"Business {BusinessId} is not registered.");
        }

        if (Webhooks.WebhookUrlGuard.Check(url, webhookOptions.Value.AllowPrivateNetworks) is { } refused)
        {
            return new WebhookConfiguration(false, null, refused);
        }

        if (string.IsNullOrWhiteSpace(secret) || secret.Length < 16)
        {
            return new WebhookConfiguration(false, null, "The webhook secret must be at least 16 characters.");
        }

        record.State.WebhookUrl = url;
        record.State.WebhookSecret = secrets.Protect(secret);
        await record.WriteStateRetryingAsync();
        return new WebhookConfiguration(true, secret, null);
    }

    public async Task<bool> RevokeKey(string keyHash)
    {
        var key = record.State.Keys.FirstOrDefault(k => k.Hash == keyHash);
        if (key is null)
        {
            return false;
        }

        if (key.RevokedAt is null)
        {
            record.State.Keys[record.State.Keys.IndexOf(key)] = key with { RevokedAt = clock.GetUtcNow() };
            await record.WriteStateRetryingAsync();
        }

        // The key grain is what requests consult: revoke there even when this record already says so.
        await grains.GetGrain<IApiKeyGrain>(keyHash).Revoke();
        return true;
    }

    // The business lists the key first, then the key grain learns its owner: a failure between the
    // two leaves a listed key that does not work yet (safe), never a working key nobody can see.
    private async Task AddKeys(IReadOnlyList<string> plainKeys)
    {
        var added = new List<(string Hash, ApiKeyKind Kind, ApiKeyMode Mode)>();
        foreach (var plainKey in plainKeys)
        {
            if (!ApiKeys.TryParse(plainKey, out var kind, out var mode))
            {
                throw new ArgumentException("Not an API key of this service.", nameof(plainKeys));
            }

            var hash = ApiKeys.Hash(plainKey);
            added.Add((hash, kind, mode));
            if (record.State.Keys.All(k => k.Hash != hash))
            {
                record.State.Keys.Add(new ApiKeySummary(hash, ApiKeys.Redact(plainKey), kind, mode, clock.GetUtcNow(), null));
            }
        }

        await record.WriteStateRetryingAsync();
        foreach (var (hash, kind, mode) in added)
        {
            await grains.GetGrain<IApiKeyGrain>(hash).Assign(BusinessId, kind, mode);
        }
    }

    private void EnsureRegistered()
    {
        if (!record.RecordExists)
        {
            throw new InvalidOperationException($"Business {BusinessId} is not registered.");
        }
    }

    private BusinessProfile Profile() => new(
        BusinessId, record.State.Name, record.State.CreatedAt, [.. record.State.Keys], [.. record.State.EnabledPaymentMethods],
        record.State.ParentBusinessId, [.. record.State.SubAccounts], record.State.CallbackToken is not null,
        record.State.WebhookEvents is { } events ? [.. events] : null,
        record.State.ReturnUrl, [.. record.State.FrameOrigins], record.State.LatePaymentPolicy);

    [GenerateSerializer]
    [Alias("PaySessions.BusinessRecord")]
    public sealed class BusinessRecord
    {
        [Id(0)]
        public string Name { get; set; } = "";

        [Id(1)]
        public DateTimeOffset CreatedAt { get; set; }

        [Id(2)]
        public List<ApiKeySummary> Keys { get; set; } = [];

        [Id(3)]
        public List<string> EnabledPaymentMethods { get; set; } = [];

        [Id(4)]
        public string? WebhookUrl { get; set; }

        /// <summary>Encrypted by <see cref="SecretProtector"/>; never stored or logged in the clear.</summary>
        [Id(5)]
        public string? WebhookSecret { get; set; }

        /// <summary>The business this one is a sub-account of; fixed at creation, null for a top-level business.</summary>
        [Id(6)]
        public string? ParentBusinessId { get; set; }

        /// <summary>This business's sub-accounts, as listed (the listing is the record of parentage).</summary>
        [Id(7)]
        public List<string> SubAccounts { get; set; } = [];

        /// <summary>The <c>x-callback-token</c>, encrypted by <see cref="SecretProtector"/>; never stored or logged in the clear.</summary>
        [Id(8)]
        public string? CallbackToken { get; set; }

        /// <summary>
        /// The Payviox-dialect webhook types the business receives. New businesses start with
        /// <c>succeeded</c> only (as on Payviox); null, as every business stored before the choice
        /// existed reads, means every type: nothing they received stops until they choose.
        /// </summary>
        [Id(30)]
        public List<string>? WebhookEvents { get; set; }

        /// <summary>Where the hosted page sends a customer after a completed Payviox-style payment (canonical, checked).</summary>
        [Id(40)]
        public string? ReturnUrl { get; set; }

        /// <summary>The origins allowed to frame the hosted page (canonical <c>scheme://host[:port]</c>); empty: none.</summary>
        [Id(41)]
        public List<string> FrameOrigins { get; set; } = [];

        /// <summary>What is done with late payments; businesses stored before the choice existed read as refund, the default.</summary>
        [Id(60)]
        public LatePaymentPolicy LatePaymentPolicy { get; set; }
    }
}
