using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using PaySessions.Grains.Sessions;

namespace PaySessions.Grains.Payments;

/// <summary>One provider's settings (<c>PaySessions:Providers:&lt;name&gt;</c>).</summary>
public sealed class ProviderOptions
{
    /// <summary><c>sandbox</c> (built in) or <c>http</c> (a redirect provider reached over HTTP).</summary>
    public string Type { get; set; } = "";

    /// <summary>The shared secret its webhooks are signed with (HMAC-SHA256).</summary>
    public string WebhookSecret { get; set; } = "";

    /// <summary>http: where payments are created (<c>POST {BaseUrl}/payments</c>).</summary>
    public string BaseUrl { get; set; } = "";

    /// <summary>http: sent as <c>Authorization: Bearer …</c>.</summary>
    public string ApiKey { get; set; } = "";

    /// <summary>http: the whole budget for creating a payment, retries included.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>http: retries of a failed or timed-out attempt (same Idempotency-Key each time).</summary>
    public int Retries { get; set; } = 2;

    /// <summary>
    /// <c>Live</c> (real money: only live-key sessions may use it) or <c>Test</c> (only test-key
    /// sessions). Unset means Test: live money must only ever flow through a provider someone
    /// declared live. The sandbox is always Test and refuses <c>Live</c>.
    /// </summary>
    public string? Mode { get; set; }

    /// <summary>The mode this provider serves; only an explicit <c>Live</c> is live.</summary>
    public bool IsLive => string.Equals(Mode, ProviderModes.Live, StringComparison.OrdinalIgnoreCase);
}

/// <summary>The values of <see cref="ProviderOptions.Mode"/>.</summary>
public static class ProviderModes
{
    public const string Live = "Live";
    public const string Test = "Test";
}

/// <summary>
/// Refuses to start with a provider whose mode is neither Live nor Test, or a sandbox marked
/// Live (it approves payments for free: a live session must never reach it).
/// </summary>
public sealed class PaymentProvidersOptionsValidator : IValidateOptions<PaymentProvidersOptions>
{
    public ValidateOptionsResult Validate(string? name, PaymentProvidersOptions options)
    {
        var failures = new List<string>();
        foreach (var (provider, settings) in options.Providers)
        {
            var mode = settings.Mode;
            if (mode is not null
                && !string.Equals(mode, ProviderModes.Live, StringComparison.OrdinalIgnoreCase)
                && !string.Equals(mode, ProviderModes.Test, StringComparison.OrdinalIgnoreCase))
            {
                failures.Add($"{PaymentProvidersOptions.Section}:{provider}:Mode must be Live or Test, not '{mode}'.");
            }
            else if (settings.Type == SandboxProvider.Type && settings.IsLive)
            {
                failures.Add($"{PaymentProvidersOptions.Section}:{provider} is a sandbox and cannot be Live: it approves payments without taking money.");
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}

public sealed class PaymentProvidersOptions
{
    public const string Section = "PaySessions:Providers";

    /// <summary>Where customers and providers reach this service, e.g. <c>https://pay.example.com</c>.</summary>
    public string PublicBaseUrl { get; set; } = "http://localhost:5080";

    public Dictionary<string, ProviderOptions> Providers { get; set; } = new(StringComparer.Ordinal);
}

/// <summary>A payment provider behind one interface: start a payment, and read its webhooks.</summary>
public interface IPaymentProvider
{
    string Name { get; }

    Task<ProviderInitiation> InitiateAsync(ProviderPaymentRequest request, CancellationToken cancellationToken);

    /// <summary>
    /// Verifies the webhook's signature (constant time, within the replay window) and reads it;
    /// null when the signature does not hold, and <see cref="ProviderWebhook.Malformed"/> when a
    /// signed body is not one this provider sends.
    /// </summary>
    ProviderWebhook? ReadWebhook(string? signature, ReadOnlySpan<byte> body, DateTimeOffset now);

    /// <summary>
    /// Asks the provider to give back a payment it took (a late payment). Every try of one refund
    /// carries the same <see cref="ProviderRefundRequest.RefundId"/>, so a provider that honours it
    /// refunds once however often it is asked. Transient trouble (timeouts, connection errors) is
    /// <see cref="ProviderRefund.Transient"/>: the refund worker tries again later.
    /// </summary>
    Task<ProviderRefund> RefundAsync(ProviderRefundRequest request, CancellationToken cancellationToken);
}

/// <summary>One refund: this service's id for it (the idempotency key), and the payment and money to give back.</summary>
public sealed record ProviderRefundRequest(
    string RefundId, string SessionId, string Reference, string ProviderPaymentId, long Amount, string Currency);

/// <summary>What a provider answered to a refund: done (its id for it), refused for good (why), or try again later (what went wrong).</summary>
public sealed record ProviderRefund(bool Refunded, bool Retry, string? ProviderRefundId, string? Reason)
{
    public const string NotSupported = "refund not supported";

    public static ProviderRefund Done(string? providerRefundId) => new(true, false, providerRefundId, null);

    public static ProviderRefund Refused(string reason) => new(false, false, null, reason);

    public static ProviderRefund Transient(string reason) => new(false, true, null, reason);
}

/// <summary>
/// One attempt to take money. <paramref name="AttemptKey"/> is derived from the attempt (see
/// <c>AttemptKeys</c>): the same on every try of it, so providers use it as their idempotency key
/// (HTTP providers) or to derive their reference (the sandbox). For a SAVE session
/// (<paramref name="SessionType"/>) the amount is 0 and the provider is asked to save the
/// customer's payment method rather than charge it.
/// </summary>
public sealed record ProviderPaymentRequest(
    string SessionId,
    string PaymentMethodId,
    long Amount,
    string Currency,
    string? Description,
    string AttemptKey,
    SessionType SessionType = SessionType.Pay);

/// <summary>A started payment (reference and where to send the customer) or why it could not start.</summary>
public sealed record ProviderInitiation(string? Reference, string? RedirectUrl, string? ErrorMessage, string? ErrorType)
{
    public bool Succeeded => Reference is not null;

    public static ProviderInitiation Started(string reference, string? redirectUrl) => new(reference, redirectUrl, null, null);

    public static ProviderInitiation Failed(string message, string errorType) => new(null, null, message, errorType);
}

/// <summary>
/// A provider's webhook, read: which attempt, whether it succeeded, and for a success what was
/// taken (<paramref name="Amount"/> in minor units, <paramref name="Currency"/> upper case), which
/// the session checks against the attempt. Both are always set on a payment's success; a saved
/// payment method (<paramref name="PaymentTokenId"/>) may come without them.
/// </summary>
public sealed record ProviderWebhook(string Reference, bool Succeeded, string? PaymentId, string? Reason, long? Amount, string? Currency, string? PaymentTokenId = null)
{
    public static readonly ProviderWebhook Malformed = new("", false, null, null, null, null);

    /// <summary>Who paid, as the provider reported it (checked: see <see cref="ProviderDetailsReader"/>).</summary>
    public ProviderCustomerDetails? CustomerDetails { get; init; }

    /// <summary>How it was paid, as the provider reported it (checked likewise).</summary>
    public ProviderPaymentDetails? PaymentDetails { get; init; }

    /// <summary>Which blocks the provider sent malformed and were dropped (e.g. <c>payment_details</c>), for the log; null when none.</summary>
    public string? DroppedDetails { get; init; }
}

/// <summary>The configured providers by name.</summary>
public sealed class PaymentProviders(IOptions<PaymentProvidersOptions> options, IServiceProvider services)
{
    private readonly Dictionary<string, IPaymentProvider> _providers = Build(options.Value, services);

    // A sandbox is never live, whatever its settings say (the validator refuses that at start-up too).
    private readonly HashSet<string> _live =
        [.. options.Value.Providers.Where(p => p.Value.Type != SandboxProvider.Type && p.Value.IsLive).Select(p => p.Key)];

    public bool IsConfigured(string name) => _providers.ContainsKey(name);

    public IPaymentProvider? Find(string name) => _providers.GetValueOrDefault(name);

    /// <summary>Whether the configured provider <paramref name="name"/> serves live sessions (false: test sessions, or not configured).</summary>
    public bool IsLive(string name) => _live.Contains(name);

    private static Dictionary<string, IPaymentProvider> Build(PaymentProvidersOptions options, IServiceProvider services)
    {
        var built = new Dictionary<string, IPaymentProvider>(StringComparer.Ordinal);
        foreach (var (name, provider) in options.Providers)
        {
            built[name] = provider.Type switch
            {
                SandboxProvider.Type => ActivatorUtilities.CreateInstance<SandboxProvider>(services, name, provider, options),
                HttpRedirectProvider.Type => ActivatorUtilities.CreateInstance<HttpRedirectProvider>(services, name, provider),
                _ => throw new OptionsValidationException(PaymentProvidersOptions.Section, typeof(ProviderOptions),
                    [$"Provider '{name}' has unknown type '{provider.Type}'."]),
            };
        }

        return built;
    }
}
