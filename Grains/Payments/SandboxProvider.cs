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

    public ProviderWebhook? ReadWebhook(string? signature, ReadOnlySpan<byte> body, DateTimeOffset now)
    {
        if (!WebhookSignature.Verify(signature, provider.WebhookSecret, body, now))
        {
            return null;
        }

        try
        {
            var message = JsonSerializer.Deserialize<SandboxWebhook>(body, SandboxWebhook.Json);
            return message is { Reference.Length: > 0, Type: SandboxWebhook.Succeeded or SandboxWebhook.Failed }
                ? new ProviderWebhook(message.Reference, message.Type == SandboxWebhook.Succeeded, message.PaymentId, message.Reason)
                : ProviderWebhook.Malformed;
        }
        catch (JsonException)
        {
            return ProviderWebhook.Malformed;
        }
    }
}

/// <summary>The body the sandbox sends to <c>/webhooks/sandbox</c>.</summary>
public sealed record SandboxWebhook(string Type, string Reference, string? PaymentId, string? Reason, long Amount, string Currency)
{
    public const string Succeeded = "payment.succeeded";
    public const string Failed = "payment.failed";

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };
}
