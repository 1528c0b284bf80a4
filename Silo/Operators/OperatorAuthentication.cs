using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;

namespace PaySessions.Silo.Operators;

/// <summary>
/// Operators (<c>PaySessions:Operators:Users</c>): user name → password hash, as
/// <c>dotnet run --project Silo -- operators hash-password</c> prints it (ASP.NET Core Identity's
/// PBKDF2 format). No merchant key opens what operators see, and no operator password is stored.
/// </summary>
public sealed class OperatorOptions
{
    public const string Section = "PaySessions:Operators";

    public Dictionary<string, string> Users { get; set; } = new(StringComparer.Ordinal);
}

public sealed class OperatorOptionsValidator : IValidateOptions<OperatorOptions>
{
    public ValidateOptionsResult Validate(string? name, OperatorOptions options)
    {
        if (options.Users.Count == 0)
        {
            return ValidateOptionsResult.Fail(
                "PaySessions:Operators:Users must name at least one operator (user name → password hash from `dotnet run --project Silo -- operators hash-password`): the dashboard is never open to all.");
        }

        var bad = options.Users.Where(u => u.Key.Length == 0 || u.Key.Contains(':', StringComparison.Ordinal) || !OperatorPasswords.IsHash(u.Value)).Select(u => u.Key).ToList();
        return bad.Count == 0
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail($"PaySessions:Operators:Users: {string.Join(", ", bad.Select(b => $"'{b}'"))} must be a user name without ':' mapped to a hash from `operators hash-password`.");
    }
}

/// <summary>Operator password hashes: ASP.NET Core Identity's hasher (PBKDF2 with HMAC-SHA512, salted, constant-time check).</summary>
public static class OperatorPasswords
{
    private static readonly PasswordHasher<string> Hasher = new();

    public static string Hash(string password) => Hasher.HashPassword(string.Empty, password);

    public static bool Verify(string hash, string password) =>
        Hasher.VerifyHashedPassword(string.Empty, hash, password) is PasswordVerificationResult.Success or PasswordVerificationResult.SuccessRehashNeeded;

    /// <summary>Whether the text is a hash the hasher can check (its current format: marker byte 0x01).</summary>
    public static bool IsHash(string text)
    {
        Span<byte> buffer = stackalloc byte[256];
        return Convert.TryFromBase64String(text, buffer, out var written) && written > 13 && buffer[0] == 0x01;
    }
}

/// <summary>
/// HTTP Basic for operators, on the dashboard only: a browser asks for the user name and password
/// once and sends them with every request the dashboard's page makes. A password check costs a
/// PBKDF2 derivation, so a checked pair is remembered (as a SHA-256, never as text) for a few
/// minutes: the dashboard polls every second.
/// </summary>
public sealed class OperatorAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> schemeOptions,
    ILoggerFactory logger,
    UrlEncoder encoder,
    IOptionsMonitor<OperatorOptions> operators,
    TimeProvider clock)
    : AuthenticationHandler<AuthenticationSchemeOptions>(schemeOptions, logger, encoder)
{
    public const string SchemeName = "Operator";
    public const string Policy = "Operator";
    private const int MaxCredentialLength = 512;
    private static readonly TimeSpan Remembered = TimeSpan.FromMinutes(5);
    private static readonly ConcurrentDictionary<string, DateTimeOffset> RecentlyChecked = new(StringComparer.Ordinal);

    // Checked for an unknown user name too, so that the answer takes as long either way.
    private static readonly string UnknownUserHash = OperatorPasswords.Hash(Guid.NewGuid().ToString());

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (!AuthenticationHeaderValue.TryParse(Request.Headers.Authorization, out var header)
            || !string.Equals(header.Scheme, "Basic", StringComparison.OrdinalIgnoreCase)
            || header.Parameter is not { Length: > 0 and <= MaxCredentialLength } encoded)
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        string userName, password;
        try
        {
            var pair = Encoding.UTF8.GetString(Convert.FromBase64String(encoded));
            var colon = pair.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0)
            {
                return Task.FromResult(AuthenticateResult.Fail("Malformed operator credentials."));
            }

            (userName, password) = (pair[..colon], pair[(colon + 1)..]);
        }
        catch (FormatException)
        {
            return Task.FromResult(AuthenticateResult.Fail("Malformed operator credentials."));
        }

        var known = operators.CurrentValue.Users.TryGetValue(userName, out var hash);
        hash = known ? hash! : UnknownUserHash;
        var remembered = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes($"{userName}\0{password}\0{hash}")));
        var now = clock.GetUtcNow();
        var valid = RecentlyChecked.TryGetValue(remembered, out var until) && until > now;
        if (!valid)
        {
            valid = OperatorPasswords.Verify(hash, password) && known;
            if (valid)
            {
                if (RecentlyChecked.Count > 1000)
                {
                    RecentlyChecked.Clear();
                }

                RecentlyChecked[remembered] = now + Remembered;
            }
        }

        if (!valid)
        {
            return Task.FromResult(AuthenticateResult.Fail("Unknown operator or wrong password."));
        }

        var identity = new ClaimsIdentity([new Claim(ClaimTypes.Name, userName), new Claim(ClaimTypes.Role, "operator")], SchemeName);
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName)));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers.WWWAuthenticate = "Basic realm=\"PaySessions operators\", charset=\"UTF-8\"";
        Response.Headers.CacheControl = "no-store";
        return Task.CompletedTask;
    }
}

public static class OperatorAccess
{
    /// <summary>The operator scheme and the policy the dashboard's endpoints require.</summary>
    public static IServiceCollection AddOperatorAccess(this IServiceCollection services)
    {
        services.AddOptions<OperatorOptions>().BindConfiguration(OperatorOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<OperatorOptions>, OperatorOptionsValidator>();
        services.AddAuthentication()
            .AddScheme<AuthenticationSchemeOptions, OperatorAuthenticationHandler>(OperatorAuthenticationHandler.SchemeName, null);
        services.AddAuthorizationBuilder()
            .AddPolicy(OperatorAuthenticationHandler.Policy, policy => policy
                .AddAuthenticationSchemes(OperatorAuthenticationHandler.SchemeName)
                .RequireAuthenticatedUser()
                .RequireRole("operator"));
        return services;
    }
}
