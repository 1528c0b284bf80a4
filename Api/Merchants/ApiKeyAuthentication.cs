using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using PaySessions.Api.Http;
using PaySessions.Grains.Merchants;

namespace PaySessions.Api.Merchants;

/// <summary>
/// <c>Authorization: Bearer pk_…|sk_…</c> (and, on a route group that reads it, Basic with the
/// key as user name: see <see cref="ApiKeyForms"/>). The key is hashed and looked up through its key grain
/// (in memory once active); a missing, malformed, unknown or revoked key is the same 401 (in the
/// route's error shape: <c>{"error":"Unauthorized"}</c> on the Payviox-style routes), so the
/// answer says nothing about which it was.
/// </summary>
public sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory loggerFactory,
    UrlEncoder encoder,
    IGrainFactory grains,
    FailedAuthenticationLimiter failures,
    RecentlyValidKeys validKeys,
    ConfirmedKeyOwners confirmedOwners)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, loggerFactory, encoder)
{
    public const string SchemeName = "ApiKey";
    private static readonly object ThrottledKey = new();

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        if (header.Length == 0 || !TakesMerchantKeys(Context.GetEndpoint()))
        {
            return AuthenticateResult.NoResult();
        }

        // An address that keeps presenting keys that do not work is stopped here, before its
        // made-up keys can each cost a grain activation and a database read. A key this process
        // has recently seen work still passes (and is still checked by its grain below): the
        // throttle is for guesses, not for the merchant who shares the address.
        var address = Context.Connection.RemoteIpAddress?.ToString() ?? "";
        var forms = Context.GetEndpoint()?.Metadata.GetMetadata<ApiKeyForms>() ?? ApiKeyForms.BearerAnyKey;
        var key = PresentedKey.From(header, forms.Basic);

        // A route group for secret keys only (the Xendit dialect's, Payviox's /payment) refuses a public key like any
        // other bad key, before it costs a lookup; it is a real key, so it is neither counted as a
        // guess nor dropped from the recently valid ones.
        if (key is not null && forms.SecretOnly && key.Kind != ApiKeyKind.Secret)
        {
            return AuthenticateResult.Fail("A public key cannot call this API.");
        }

        if ((key is null || !validKeys.Contains(key.Hash)) && failures.IsThrottled(address, out var retryAfter))
        {
            Context.Items[ThrottledKey] = retryAfter;
            return AuthenticateResult.Fail("Too many failed authentication attempts.");
        }

        // A key its grain confirmed within the last second answers from memory (see ConfirmedKeyOwners).
        var confirmed = key is null ? null : confirmedOwners.Find(key.Hash);
        if (confirmed is { IsFresh: true } && Matches(confirmed.Owner, key!))
        {
            return Success(confirmed.Owner, key!);
        }

        var result = await Resolve(key, confirmed);
        if (result.Succeeded)
        {
            validKeys.Add(key!.Hash);
        }
        else
        {
            failures.Record(address);
            if (key is not null)
            {
                validKeys.Remove(key.Hash);
            }
        }

        return result;
    }

    /// <summary>
    /// Merchant keys are read only where the merchant API asks for them (the default policy):
    /// an operator's Basic credentials on the dashboard, or a header a provider's webhook happens
    /// to carry, are neither looked up nor counted as guesses against the sender's address.
    /// </summary>
    private static bool TakesMerchantKeys(Endpoint? endpoint) =>
        endpoint?.Metadata.GetOrderedMetadata<IAuthorizeData>() is { Count: > 0 } rules
        && rules.Any(rule => rule.Policy is null && rule.AuthenticationSchemes is null);

    private async Task<AuthenticateResult> Resolve(PresentedKey? key, ConfirmedKeyOwners.Confirmation? confirmed)
    {
        if (key is null)
        {
            return AuthenticateResult.Fail("Malformed API key.");
        }

        ApiKeyOwner? owner;
        try
        {
            // A key with a recent confirmation is asked once, briefly: if its grain does not answer
            // at once, the confirmation answers instead of the request waiting out a failover.
            var askedAt = ConfirmedKeyOwners.Now();
            owner = confirmed is not null
                ? await grains.Get<IApiKeyGrain>(key.Hash).Resolve().WaitAsync(ConfirmedKeyOwners.Patience, Context.RequestAborted)
                : await TransientFailures.RetryAsync(() => grains.Get<IApiKeyGrain>(key.Hash).Resolve(), Context.RequestAborted);
            confirmedOwners.Record(key.Hash, owner, askedAt);
        }
        catch (Exception e) when (TransientFailures.IsTransient(e) && confirmedOwners.Find(key.Hash) is { } recent)
        {
            // The key's grain is unreachable for now (see ConfirmedKeyOwners): its last answer stands.
            owner = recent.Owner;
        }

        return owner is not null && Matches(owner, key) ? Success(owner, key) : AuthenticateResult.Fail("Unknown or revoked API key.");
    }

    // The key's prefix must say what its grain holds (a pk_ presented as sk_ is not the same key).
    private static bool Matches(ApiKeyOwner owner, PresentedKey key) => owner.Kind == key.Kind && owner.Mode == key.Mode;

    private static AuthenticateResult Success(ApiKeyOwner owner, PresentedKey key)
    {
        var identity = new ClaimsIdentity(
            [
                new Claim(Merchant.BusinessClaim, owner.BusinessId),
                new Claim(Merchant.KindClaim, owner.Kind.ToString()),
                new Claim(Merchant.ModeClaim, owner.Mode.ToString()),
                new Claim(Merchant.KeyHashClaim, key.Hash),
            ],
            SchemeName);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        // In the error shape of the route asked for: each dialect words its 401 and 429 itself.
        var shape = ErrorShapes.For(Context);
        if (Context.Items[ThrottledKey] is int retryAfter)
        {
            ApiMetrics.RateLimited("failed_auth");
            await shape.RateLimited(RateLimitScope.Ip, "Too many failed authentication attempts", retryAfter).ExecuteAsync(Context);
            return;
        }

        await shape.Failure(RequestFailure.Unauthorized).ExecuteAsync(Context);
    }
}

/// <summary>
/// Which forms of <c>Authorization</c> a route group reads, as endpoint metadata
/// (<see cref="ApiKeyFormsExtensions.WithApiKeyForms{TBuilder}"/>). A route with none reads
/// <see cref="BearerAnyKey"/>: the Payviox-style <c>/session</c> routes take Bearer only.
/// </summary>
/// <param name="Basic">Also read HTTP Basic with the key as user name and an empty password.</param>
/// <param name="SecretOnly">A public key is refused like an unknown one.</param>
public sealed record ApiKeyForms(bool Basic, bool SecretOnly)
{
    public static ApiKeyForms BearerAnyKey { get; } = new(Basic: false, SecretOnly: false);

    /// <summary>Payviox's secret-key-only routes (<c>GET /payment/{session_id}</c>): Bearer with the secret key.</summary>
    public static ApiKeyForms BearerSecret { get; } = new(Basic: false, SecretOnly: true);

    /// <summary>What a Xendit merchant sends: Basic (<c>-u sk_…:</c>) or Bearer, with the secret key.</summary>
    public static ApiKeyForms BasicOrBearerSecret { get; } = new(Basic: true, SecretOnly: true);
}

public static class ApiKeyFormsExtensions
{
    public static TBuilder WithApiKeyForms<TBuilder>(this TBuilder builder, ApiKeyForms forms)
        where TBuilder : IEndpointConventionBuilder => builder.WithMetadata(forms);
}

/// <summary>A well-formed key from a bearer (or, where read, basic) header: its hash (the only form that is kept) and what its prefix says.</summary>
internal sealed record PresentedKey(string Hash, ApiKeyKind Kind, ApiKeyMode Mode)
{
    private const string Bearer = "Bearer ";
    private const string Basic = "Basic ";

    // Far above any key: a longer credential is malformed without being decoded.
    private const int MaxBasicLength = 512;

    public static PresentedKey? From(string header, bool readBasic = false)
    {
        string key;
        if (header.StartsWith(Bearer, StringComparison.OrdinalIgnoreCase))
        {
            key = header[Bearer.Length..].Trim();
        }
        else if (readBasic && header.StartsWith(Basic, StringComparison.OrdinalIgnoreCase) && BasicUser(header[Basic.Length..].Trim()) is { } user)
        {
            key = user;
        }
        else
        {
            return null;
        }

        return ApiKeys.TryParse(key, out var kind, out var mode) ? new PresentedKey(ApiKeys.Hash(key), kind, mode) : null;
    }

    /// <summary>The user name of <c>base64(user:password)</c> when the password is empty; otherwise null.</summary>
    private static string? BasicUser(string credentials)
    {
        if (credentials.Length is 0 or > MaxBasicLength)
        {
            return null;
        }

        var bytes = new byte[credentials.Length];
        if (!Convert.TryFromBase64String(credentials, bytes, out var written))
        {
            return null;
        }

        string decoded;
        try
        {
            decoded = new System.Text.UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes, 0, written);
        }
        catch (System.Text.DecoderFallbackException)
        {
            return null;
        }

        // "key:" exactly: the secret key is the user name and the password is empty.
        var colon = decoded.IndexOf(':', StringComparison.Ordinal);
        return colon > 0 && colon == decoded.Length - 1 ? decoded[..colon] : null;
    }
}

/// <summary>The business and kind of key behind an authenticated request.</summary>
public sealed record Merchant(string BusinessId, ApiKeyKind Kind, ApiKeyMode Mode)
{
    public const string BusinessClaim = "paysessions:business";
    public const string KindClaim = "paysessions:key_kind";
    public const string ModeClaim = "paysessions:key_mode";

    /// <summary>The key's SHA-256 hex (never the key): who asked, where a request is recorded.</summary>
    public const string KeyHashClaim = "paysessions:key_sha256";

    public bool HasSecretKey => Kind == ApiKeyKind.Secret;

    /// <summary>A live key: it creates and sees live sessions only; a test key, test sessions only.</summary>
    public bool Livemode => Mode == ApiKeyMode.Live;

    public static Merchant From(ClaimsPrincipal user) => new(
        user.FindFirstValue(BusinessClaim) ?? throw new InvalidOperationException("The request is not authenticated."),
        Enum.Parse<ApiKeyKind>(user.FindFirstValue(KindClaim)!),
        Enum.Parse<ApiKeyMode>(user.FindFirstValue(ModeClaim)!));
}
