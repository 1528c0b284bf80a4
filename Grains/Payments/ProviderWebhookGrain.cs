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
    IProviderCallbackLog callbacks,
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

        // Every callback is recorded with what became of it (the session timeline shows them):
        // never its body or signature, only what names it, as the body gave it.
        var receivedAt = clock.GetUtcNow();
        var claimed = ClaimedCallback.Read(body);
        async Task<ProviderWebhookOutcome> Recorded(ProviderWebhookOutcome outcome, string? sessionId, string result, string? reason)
        {
            await callbacks.RecordAsync(new ProviderCallback(name, receivedAt, sessionId, claimed.Reference, claimed.Type, claimed.PaymentId, result, reason));
            return outcome;
        }

        // A refused callback is shown on the session its body names, if any: a forgery aimed at
        // a session is something its merchant should see (the log keeps a bounded number).
        async Task<string?> ClaimedSession() =>
            claimed.Reference is { } reference ? await index.FindByProviderReferenceAsync(name, reference) : null;

        var webhook = provider.ReadWebhook(signature, body, receivedAt);
        if (webhook is null)
        {
            LogBadSignature(logger, name);
            return await Recorded(ProviderWebhookOutcome.BadSignature, await ClaimedSession(), ProviderCallback.Rejected, "bad_signature");
        }

        if (ReferenceEquals(webhook, ProviderWebhook.Malformed))
        {
            return await Recorded(ProviderWebhookOutcome.Malformed, await ClaimedSession(), ProviderCallback.Rejected, "malformed");
        }

        if (await index.FindByProviderReferenceAsync(name, webhook.Reference) is not { } sessionId)
        {
            return await Recorded(ProviderWebhookOutcome.UnknownReference, null, ProviderCallback.Rejected, "unknown_reference");
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
        return outcome switch
        {
            PaymentReportOutcome.UnknownReference => await Recorded(ProviderWebhookOutcome.UnknownReference, sessionId, ProviderCallback.Rejected, "unknown_reference"),
            PaymentReportOutcome.Duplicate => await Recorded(ProviderWebhookOutcome.Accepted, sessionId, ProviderCallback.Duplicate, null),
            _ => await Recorded(ProviderWebhookOutcome.Accepted, sessionId, ProviderCallback.Accepted, ResultOf(outcome)),
        };
    }

    /// <summary>What an accepted callback did to its session, as the timeline says it.</summary>
    private static string ResultOf(PaymentReportOutcome outcome) => outcome switch
    {
        PaymentReportOutcome.Completed => "completed",
        PaymentReportOutcome.FailureRecorded => "failure_recorded",
        PaymentReportOutcome.LatePaymentRecorded => "late_payment_recorded",
        PaymentReportOutcome.MismatchRecorded => "mismatch_recorded",
        _ => "ignored",
    };

    [LoggerMessage(Level = LogLevel.Warning, Message = "Provider {Provider} reported {Reference} with malformed {Blocks}: dropped them, kept the report")]
    private static partial void LogDroppedDetails(ILogger logger, string provider, string reference, string blocks);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refused a webhook for provider {Provider}: bad or stale signature")]
    private static partial void LogBadSignature(ILogger logger, string provider);
}
