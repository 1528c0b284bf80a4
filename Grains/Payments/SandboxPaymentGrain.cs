using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using PaySessions.Grains.Sessions;
using PaySessions.Grains.Storage;

namespace PaySessions.Grains.Payments;

/// <summary>
/// The sandbox's own record of one payment. Deciding it sends the signed webhook to this service's
/// <c>/webhooks/{provider}</c> over real HTTP, as an outside provider would.
/// </summary>
public sealed partial class SandboxPaymentGrain(
    [PersistentState("sandbox", StorageNames.Merchants)] IPersistentState<SandboxPayment> record,
    IHttpClientFactory http,
    IOptions<PaymentProvidersOptions> options,
    TimeProvider clock,
    ILogger<SandboxPaymentGrain> logger)
    : Grain, ISandboxPaymentGrain
{
    public const string HttpClientName = "sandbox-webhooks";

    public async Task Open(SandboxPayment payment)
    {
        if (!record.RecordExists)
        {
            record.State = payment with { Status = "pending", PaymentId = null };
            await record.WriteStateRetryingAsync();
        }
    }

    public Task<SandboxPayment?> GetPayment() => Task.FromResult(record.RecordExists ? record.State : null);

    public async Task<SandboxDecision> Decide(bool approve)
    {
        if (!record.RecordExists)
        {
            return SandboxDecision.NotFound;
        }

        var wanted = approve ? "approved" : "declined";
        if (record.State.Status == "pending")
        {
            // Approving a charge takes the money (a payment id); approving a saving attempt saves
            // the method (a token, in the shape that dialect's merchants store) and takes nothing.
            var saves = record.State.SavesPaymentMethod;
            record.State = record.State with
            {
                Status = wanted,
                PaymentId = approve && !saves ? "sbxpay_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12)) : null,
                PaymentTokenId = approve && saves ? "ptkn-" + Guid.NewGuid().ToString("D") : null,
            };
            await record.WriteStateRetryingAsync();
        }
        else if (record.State.Status != wanted)
        {
            return SandboxDecision.AlreadyDecided;
        }

        return await SendWebhook() ? (approve ? SandboxDecision.Approved : SandboxDecision.Declined) : SandboxDecision.WebhookNotDelivered;
    }

    public async Task<SandboxRefundResult> Refund(SandboxRefundRequest request)
    {
        if (!record.RecordExists)
        {
            return new SandboxRefundResult(false, null, "unknown payment");
        }

        var payment = record.State;
        var refunds = payment.Refunds ?? [];
        if (refunds.FirstOrDefault(r => r.RefundId == request.RefundId) is { } earlier)
        {
            // The same refund asked again (a retry): counted, and answered as the first time.
            record.State = payment with { Refunds = refunds.Select(r => r.RefundId == earlier.RefundId ? r with { Requests = r.Requests + 1 } : r).ToArray() };
            await record.WriteStateRetryingAsync();
            return new SandboxRefundResult(true, earlier.SandboxRefundId, null);
        }

        var error =
            payment.Status != "approved" || payment.PaymentId is null ? "payment not captured"
            : !string.Equals(payment.PaymentId, request.PaymentId, StringComparison.Ordinal) ? "unknown payment id"
            : !string.Equals(payment.Currency, request.Currency, StringComparison.OrdinalIgnoreCase) ? "currency does not match the payment"
            : request.Amount <= 0 || request.Amount > payment.Amount - refunds.Sum(r => r.Amount) ? "amount exceeds what is left to refund"
            : null;
        if (error is not null)
        {
            return new SandboxRefundResult(false, null, error);
        }

        var refund = new SandboxRefund(request.RefundId, "sbxref_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(12)), request.Amount, payment.Currency, 1);
        record.State = payment with { Refunds = [.. refunds, refund] };
        await record.WriteStateRetryingAsync();
        return new SandboxRefundResult(true, refund.SandboxRefundId, null);
    }

    private async Task<bool> SendWebhook()
    {
        var (name, provider) = options.Value.Providers.First(p => p.Value.Type == SandboxProvider.Type);
        var payment = record.State;
        var approved = payment.Status == "approved";
        var message = approved && payment.SavesPaymentMethod
            ? new ProviderWebhookMessage(ProviderWebhookMessage.TokenIssued, payment.Reference, null, null, null, null, payment.PaymentTokenId)
            : new ProviderWebhookMessage(
                approved ? ProviderWebhookMessage.Succeeded : ProviderWebhookMessage.Failed,
                payment.Reference,
                payment.PaymentId,
                approved ? null : "declined_by_customer",
                payment.Amount,
                payment.Currency,
                PaymentDetails: approved ? JsonSerializer.SerializeToElement(DetailsOf(payment), ProviderWebhookMessage.Json) : null);
        var body = JsonSerializer.SerializeToUtf8Bytes(message, ProviderWebhookMessage.Json);

        using var request = new HttpRequestMessage(HttpMethod.Post, $"{options.Value.PublicBaseUrl.TrimEnd('/')}/webhooks/{name}")
        {
            Content = new ByteArrayContent(body) { Headers = { ContentType = new MediaTypeHeaderValue("application/json") } },
        };
        request.Headers.Add("Webhook-Signature", WebhookSignature.Sign(provider.WebhookSecret, clock.GetUtcNow(), body));
        try
        {
            using var response = await http.CreateClient(HttpClientName).SendAsync(request);
            if (response.IsSuccessStatusCode)
            {
                return true;
            }

            LogNotDelivered(logger, payment.Reference, (int)response.StatusCode);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            LogNotDelivered(logger, payment.Reference, 0);
        }

        return false;
    }

    /// <summary>
    /// What the sandbox reports about how it was paid, as a real provider would: for a card method
    /// (an id ending in <c>card</c>) the well-known test card, Visa ending 4242, expiring in December
    /// three years on; for any other method a wallet, with no card.
    /// </summary>
    public ProviderPaymentDetails DetailsOf(SandboxPayment payment) =>
        payment.PaymentMethodId.EndsWith("card", StringComparison.Ordinal)
            ? new ProviderPaymentDetails
            {
                Type = "card",
                Card = new ProviderCard { Brand = "visa", Last4 = "4242", ExpMonth = 12, ExpYear = clock.GetUtcNow().Year + 3, Country = "US" },
            }
            : new ProviderPaymentDetails { Type = "wallet" };

    [LoggerMessage(Level = LogLevel.Warning, Message = "Sandbox webhook for {Reference} was not accepted (HTTP {Status})")]
    private static partial void LogNotDelivered(ILogger logger, string reference, int status);
}
