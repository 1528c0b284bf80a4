using Microsoft.Extensions.Logging;
using Orleans.Concurrency;
using PaySessions.Grains.EventStore;
using PaySessions.Grains.Sessions;

namespace PaySessions.Grains.Payments;

/// <summary>
/// Verifies a provider's webhook and routes it, through the durable reference index, to the
/// session grain that started the attempt. Stateless: any silo can take any delivery.
/// Reentrant, because it holds no state: a worker waiting on the index or a session's commit
/// takes the next delivery meanwhile (without it, a silo verified as many webhooks at once as it
/// has cores, each waiting out its session's commit).
/// </summary>
[StatelessWorker]
[Reentrant]
public sealed partial class ProviderWebhookGrain(
    PaymentProviders providers,
    ISessionIndex index,
    TimeProvider clock,
    ILogger<ProviderWebhookGrain> logger)
    : Grain, IProviderWebhookGrain
{
    public async Task<ProviderWebhookOutcome> Receive(string? signature, byte[] body)
    {
        var name = this.GetPrimaryKeyString();
        if (providers.Find(name) is not { } provider)
        {
            return ProviderWebhookOutcome.UnknownProvider;
        }

        var webhook = provider.ReadWebhook(signature, body, clock.GetUtcNow());
        if (webhook is null)
        {
            LogBadSignature(logger, name);
            return ProviderWebhookOutcome.BadSignature;
        }

        if (ReferenceEquals(webhook, ProviderWebhook.Malformed))
        {
            return ProviderWebhookOutcome.Malformed;
        }

        if (await index.FindByProviderReferenceAsync(name, webhook.Reference) is not { } sessionId)
        {
            return ProviderWebhookOutcome.UnknownReference;
        }

        if (webhook.DroppedDetails is { } dropped)
        {
            // Which blocks, never their content: they hold the payer's personal data.
            LogDroppedDetails(logger, name, webhook.Reference, dropped);
        }

        var outcome = await GrainFactory.GetGrain<IPaymentSessionGrain>(sessionId).ReportPayment(
            new ProviderPaymentReport(
                name, webhook.Reference, webhook.Succeeded, webhook.PaymentId, webhook.Reason, webhook.Amount, webhook.Currency, webhook.PaymentTokenId,
                webhook.CustomerDetails, webhook.PaymentDetails));
        return outcome == PaymentReportOutcome.UnknownReference ? ProviderWebhookOutcome.UnknownReference : ProviderWebhookOutcome.Accepted;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Provider {Provider} reported {Reference} with malformed {Blocks}: dropped them, kept the report")]
    private static partial void LogDroppedDetails(ILogger logger, string provider, string reference, string blocks);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refused a webhook for provider {Provider}: bad or stale signature")]
    private static partial void LogBadSignature(ILogger logger, string provider);
}
