using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using PaySessions.Api.Http;
using PaySessions.Grains.Merchants;

namespace PaySessions.Api.Merchants;

/// <summary>
/// <c>Authorization: Bearer pk_…|sk_…</c>. The key is hashed and looked up through its key grain
/// (in memory once active); a missing, malformed, unknown or revoked key is the same 401
/// <c>{"error":"Unauthorized"}</c>, so the answer says nothing about which it was.
/// </summary>
public sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory loggerFactory,
    UrlEncoder encoder,
    IGrainFactory grains,
    FailedAuthenticationLimiter failures)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, loggerFactory, encoder)
{
    public const string SchemeName = "ApiKey";
    private static readonly object ThrottledKey = new();

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        if (header.Length == 0)
        {
            return AuthenticateResult.NoResult();
        }

        // An address that keeps presenting keys that do not work is stopped here, before its
        // made-up keys can each cost a grain activation and a database read.
        var address = Context.Connection.RemoteIpAddress?.ToString() ?? "";
        if (failures.IsThrottled(address, out var retryAfter))
        {
            Context.Items[ThrottledKey] = retryAfter;
            return AuthenticateResult.Fail("Too many failed authentication attempts.");
        }

        var result = await Resolve(header);
        if (!result.Succeeded)
        {
            failures.Record(address);
        }

        return result;
    }

    private async Task<AuthenticateResult> Resolve(string header)
    {
        const string bearer = "Bearer ";
        if (!header.StartsWith(bearer, StringComparison.OrdinalIgnoreCase))
        {
            return AuthenticateResult.Fail("Not a bearer credential.");
        }

        var key = header[bearer.Length..].Trim();
        if (!ApiKeys.TryParse(key, out var kind, out var mode))
        {
            return AuthenticateResult.Fail("Malformed API key.");
        }

        var owner = await grains.GetGrain<IApiKeyGrain>(ApiKeys.Hash(key)).Resolve();
        if (owner is null || owner.Kind != kind || owner.Mode != mode)
        {
            return AuthenticateResult.Fail("Unknown or revoked API key.");
        }

        var identity = new ClaimsIdentity(
            [
                new Claim(Merchant.BusinessClaim, owner.BusinessId),
                new Claim(Merchant.KindClaim, owner.Kind.ToString()),
                new Claim(Merchant.ModeClaim, owner.Mode.ToString()),
            ],
            SchemeName);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        if (Context.Items[ThrottledKey] is int retryAfter)
        {
            await new RateLimitedResult("Too many failed authentication attempts", "ip", retryAfter).ExecuteAsync(Context);
            return;
        }

        Response.StatusCode = StatusCodes.Status401Unauthorized;
        await Response.WriteAsJsonAsync(new ApiErrors.ErrorBody("Unauthorized"));
    }
}

/// <summary>The business and kind of key behind an authenticated request.</summary>
public sealed record Merchant(string BusinessId, ApiKeyKind Kind, ApiKeyMode Mode)
{
    public const string BusinessClaim = "paysessions:business";
    public const string KindClaim = "paysessions:key_kind";
    public const string ModeClaim = "paysessions:key_mode";

    public bool HasSecretKey => Kind == ApiKeyKind.Secret;

    /// <summary>A live key: it creates and sees live sessions only; a test key, test sessions only.</summary>
    public bool Livemode => Mode == ApiKeyMode.Live;

    public static Merchant From(ClaimsPrincipal user) => new(
        user.FindFirstValue(BusinessClaim) ?? throw new InvalidOperationException("The request is not authenticated."),
        Enum.Parse<ApiKeyKind>(user.FindFirstValue(KindClaim)!),
        Enum.Parse<ApiKeyMode>(user.FindFirstValue(ModeClaim)!));
}
