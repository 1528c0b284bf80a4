using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using PaySessions.Grains.Sessions;

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
        // Derived from the attempt, like an HTTP provider's idempotency key: the same attempt
        // tried again opens the same sandbox payment (Open keeps an existing one). Keyed with the
        // secret so that a session id alone does not reveal its checkout page.
        var reference = "sbx_" + Convert.ToHexStringLower(
            HMACSHA256.HashData(Encoding.UTF8.GetBytes(provider.WebhookSecret), Encoding.UTF8.GetBytes(request.AttemptKey)))[..24];
        await grains.GetGrain<ISandboxPaymentGrain>(reference).Open(
            new SandboxPayment(reference, request.SessionId, request.Amount, request.Currency, request.PaymentMethodId, request.Description)
            {
                SavesPaymentMethod = request.SessionType == SessionType.Save,
            });
        return ProviderInitiation.Started(reference, $"{all.PublicBaseUrl.TrimEnd('/')}/sandbox/checkout/{reference}");
    }

    public ProviderWebhook? ReadWebhook(string? signature, ReadOnlySpan<byte> body, DateTimeOffset now) =>
        ProviderWebhookMessage.Read(provider.WebhookSecret, signature, body, now);

    /// <summary>The sandbox refunds in its own record of the payment (<see cref="ISandboxPaymentGrain.Refund"/>), once per refund id.</summary>
    public async Task<ProviderRefund> RefundAsync(ProviderRefundRequest request, CancellationToken cancellationToken)
    {
        var result = await grains.GetGrain<ISandboxPaymentGrain>(request.Reference)
            .Refund(new SandboxRefundRequest(request.RefundId, request.ProviderPaymentId, request.Amount, request.Currency));
        return result.Refunded ? ProviderRefund.Done(result.SandboxRefundId) : ProviderRefund.Refused(result.Error ?? "refund refused");
    }
}

/// <summary>
/// The webhook body providers send to <c>/webhooks/{provider}</c> (the sandbox, and HTTP providers
/// that speak this service's protocol): <c>{"type":"payment.succeeded"|"payment.failed",
/// "reference","payment_id","reason","amount","currency"}</c>, signed like every webhook here.
/// A success must say what was taken (<c>amount</c> in minor units, <c>currency</c>): the session
/// compares both with the attempt, so a success without them is malformed.
/// <c>"type":"payment_token.issued"</c> reports a saved payment method instead (a SAVE session):
/// <c>payment_token_id</c> is required, and <c>amount</c>/<c>currency</c>, when present, say what
/// was taken anyway (the session treats any money on a SAVE as a mismatch).
/// Any type may carry <c>customer_details</c> and <c>payment_details</c> (see
/// <see cref="ProviderDetailsReader"/>): read as loosely typed JSON here, so that a malformed block
/// is dropped by the reader instead of making the whole report unreadable.
/// </summary>
public sealed record ProviderWebhookMessage(
    string Type,
    string Reference,
    string? PaymentId,
    string? Reason,
    long? Amount,
    string? Currency,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? PaymentTokenId = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] JsonElement? CustomerDetails = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] JsonElement? PaymentDetails = null)
{
    public const string Succeeded = "payment.succeeded";
    public const string Failed = "payment.failed";
    public const string TokenIssued = "payment_token.issued";

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
            if (message is not { Reference.Length: > 0 and <= 200, Type: Succeeded or Failed or TokenIssued })
            {
                return ProviderWebhook.Malformed;
            }

            var currency = IsCurrencyShaped(message.Currency) ? message.Currency!.ToUpperInvariant() : null;
            ProviderWebhook read;
            if (message.Type == TokenIssued)
            {
                // A saved method, not a payment: the token is the point; figures, if any, must be well formed.
                if (message.PaymentTokenId is not { Length: > 0 and <= 200 }
                    || message.Amount is < 0
                    || (message.Amount is not null && currency is null))
                {
                    return ProviderWebhook.Malformed;
                }

                read = new ProviderWebhook(message.Reference, true, message.PaymentId, null, message.Amount, currency, message.PaymentTokenId);
            }
            else
            {
                var succeeded = message.Type == Succeeded;
                if (succeeded && (message.Amount is not >= 0 || currency is null))
                {
                    return ProviderWebhook.Malformed;
                }

                read = new ProviderWebhook(message.Reference, succeeded, message.PaymentId, message.Reason, message.Amount, currency, succeeded ? message.PaymentTokenId : null);
            }

            return WithDetails(read, message);
        }
        catch (JsonException)
        {
            return ProviderWebhook.Malformed;
        }
    }

    // What the provider said about the payer and the means of payment; a malformed block is
    // dropped and named, so the report still counts and the drop can be logged.
    private static ProviderWebhook WithDetails(ProviderWebhook read, ProviderWebhookMessage message)
    {
        var customer = ProviderDetailsReader.Customer(message.CustomerDetails, out var badCustomer);
        var payment = ProviderDetailsReader.Payment(message.PaymentDetails, out var badPayment);
        string[] dropped = [.. badCustomer ? ["customer_details"] : Array.Empty<string>(), .. badPayment ? ["payment_details"] : Array.Empty<string>()];
        return read with
        {
            CustomerDetails = customer,
            PaymentDetails = payment,
            DroppedDetails = dropped.Length == 0 ? null : string.Join(", ", dropped),
        };
    }

    // Three ASCII letters in either case: providers such as Stripe write currencies in lower case.
    private static bool IsCurrencyShaped(string? currency) =>
        currency is { Length: 3 } && currency.All(char.IsAsciiLetter);
}
