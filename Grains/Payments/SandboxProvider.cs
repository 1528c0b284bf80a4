using System.Security.Cryptography;
using System.Text.Json;

namespace PaySessions.Grains.Payments;

/// <summary>
/// The built-in sandbox: a redirect provider whose checkout page this service serves at
/// <c>/sandbox/checkout/{reference}</c>. Its webhooks are signed with the configured secret and
/// read back here through the same verification as any provider's.
/// </summary>
public sealed class SandboxProvider(string name, ProviderOptions provider, PaymentProvidersOptions all, IGrainFactory grains) : IPaymentProvider
{
    public const string Type = "sandbox";

    public string Name => name;

    public string WebhookSecret => provider.WebhookSecret;

    public async Task<ProviderInitiation> InitiateAsync(ProviderPaymentRequest request, CancellationToken cancellationToken)
    {
        var reference = "sbx_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12));
        await grains.GetGrain<ISandboxPaymentGrain>(reference).Open(
            new SandboxPayment(reference, request.SessionId, request.Amount, request.Currency, request.PaymentMethodId, request.Description));
        return ProviderInitiation.Started(reference, $"{all.PublicBaseUrl.TrimEnd('/')}/sandbox/checkout/{reference}");
    }

    public ProviderWebhook? ReadWebhook(string? signature, ReadOnlySpan<byte> body, DateTimeOffset now) =>
        ProviderWebhookMessage.Read(provider.WebhookSecret, signature, body, now);
}

/// <summary>
/// The webhook body providers send to <c>/webhooks/{provider}</c> (the sandbox, and HTTP providers
/// that speak this service's protocol): <c>{"type":"payment.succeeded"|"payment.failed",
/// "reference","payment_id","reason","amount","currency"}</c>, signed like every webhook here.
/// </summary>
public sealed record ProviderWebhookMessage(string Type, string Reference, string? PaymentId, string? Reason, long Amount, string Currency)
{
    public const string Succeeded = "payment.succeeded";
    public const string Failed = "payment.failed";

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    /// <summary>Null when the signature does not hold; <see cref="ProviderWebhook.Malformed"/> for a signed body of another shape.</summary>
    public static ProviderWebhook? Read(string secret, string? signature, ReadOnlySpan<byte> body, DateTimeOffset now)
    {
        if (!WebhookSignature.Verify(signature, secret, body, now))
        {
            return null;
        }

        try
        {
            var message = JsonSerializer.Deserialize<ProviderWebhookMessage>(body, Json);
            return message is { Reference.Length: > 0 and <= 200, Type: Succeeded or Failed }
                ? new ProviderWebhook(message.Reference, message.Type == Succeeded, message.PaymentId, message.Reason)
                : ProviderWebhook.Malformed;
        }
        catch (JsonException)
        {
            return ProviderWebhook.Malformed;
        }
    }
}
