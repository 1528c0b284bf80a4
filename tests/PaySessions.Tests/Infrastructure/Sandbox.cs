using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using PaySessions.Grains.Payments;

namespace PaySessions.Tests.Infrastructure;

/// <summary>Plays the sandbox provider's side from a test: its secret, and webhooks signed with it.</summary>
public static class Sandbox
{
    // appsettings.Development.json: the sandbox secret every Development host uses.
    public const string Secret = "whsec_sandbox_development_only_0000";

    public static string ReferenceFrom(string redirectUrl) => redirectUrl[(redirectUrl.LastIndexOf('/') + 1)..];

    /// <summary>A provider webhook body; by default it reports the seed example's figures (100.00 USD).</summary>
    public static byte[] Body(string reference, bool succeeded, string? paymentId = null, long? amount = 10000, string? currency = "USD") =>
        JsonSerializer.SerializeToUtf8Bytes(
            new ProviderWebhookMessage(succeeded ? ProviderWebhookMessage.Succeeded : ProviderWebhookMessage.Failed, reference, paymentId, succeeded ? null : "declined", amount, currency),
            ProviderWebhookMessage.Json);

    /// <summary>
    /// A success as a provider that reports the payer and the means of payment sends it: the
    /// blocks go in as given (well-formed or not), so a test can send what a careless provider might.
    /// </summary>
    public static byte[] SuccessWithDetails(string reference, JsonNode? customerDetails, JsonNode? paymentDetails, long amount = 10000, string currency = "USD")
    {
        var body = new JsonObject
        {
            ["type"] = ProviderWebhookMessage.Succeeded,
            ["reference"] = reference,
            ["payment_id"] = "pay_" + Guid.NewGuid().ToString("N")[..12],
            ["amount"] = amount,
            ["currency"] = currency,
            ["customer_details"] = customerDetails?.DeepClone(),
            ["payment_details"] = paymentDetails?.DeepClone(),
        };
        return Encoding.UTF8.GetBytes(body.ToJsonString());
    }

    public static async Task<HttpResponseMessage> Deliver(HttpClient http, byte[] body, string? signature)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri("/webhooks/sandbox", UriKind.Relative))
        {
            Content = new ByteArrayContent(body),
        };
        if (signature is not null)
        {
            request.Headers.TryAddWithoutValidation("Webhook-Signature", signature);
        }

        return await http.SendAsync(request);
    }

    public static string Sign(byte[] body, DateTimeOffset? at = null, string secret = Secret) =>
        WebhookSignature.Sign(secret, at ?? DateTimeOffset.UtcNow, body);

    public static string Text(byte[] body) => Encoding.UTF8.GetString(body);
}
