using System.Diagnostics;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using PaySessions.Grains.Merchants;
using PaySessions.Grains.Payments;

namespace PaySessions.Grains.Webhooks;

/// <summary>
/// Sends merchant webhooks from the outbox, on every silo: claim due rows, POST each signed body
/// (<c>PaySessions-Signature: t=…,v1=…</c>, <c>webhook-id: evt_…</c> the event's id, the same on
/// every retry, and for the Xendit dialect <c>x-callback-token</c>, the business's token read
/// and decrypted for each batch of attempts; for the Payviox dialect also <c>Signature</c>, the hex HMAC of
/// the body alone; and the Standard Webhooks trio, <see cref="StandardWebhookSignature"/>), record the attempt, and schedule the next one (<see cref="WebhookRetrySchedule"/>:
/// Payviox's 30 s, 5 min, 30 min, then doubling, for three days). A delivery whose type the
/// business did not choose ends as <c>unsubscribed</c> without being sent. Delivery is at
/// least once: a crash after a merchant answered but before the row was updated sends again.
/// Each silo sends at most <see cref="WebhookOptions.MaxExpiryNoticesPerSecond"/> expiry notices a
/// second (<see cref="DeliveryPace"/>) and <see cref="WebhookOptions.MaxConcurrentDeliveries"/>
/// requests at once, and takes a payment's webhooks before expiry notices, unpaced
/// (<see cref="PostgresWebhookOutbox.ClaimDueAsync"/>).
/// </summary>
public sealed partial class WebhookDispatcher(
    IWebhookOutbox outbox,
    IGrainFactory grains,
    SecretProtector secrets,
    IHttpClientFactory http,
    TimeProvider clock,
    IOptions<WebhookOptions> options,
    ILogger<WebhookDispatcher> logger)
    : BackgroundService
{
    public const string HttpClientName = "merchant-webhooks";
    public const string SignatureHeader = "PaySessions-Signature";
    public const string WebhookIdHeader = "webhook-id";
    public const string CallbackTokenHeader = "x-callback-token";
    public const string BodySignatureHeader = "Signature";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        var pace = new DeliveryPace(settings.MaxExpiryNoticesPerSecond, settings.BatchSize, clock);
        await OutboxPolling.RunAsync(
            cancellationToken => DeliverDueAsync(pace, cancellationToken),
            settings.PollInterval,
            clock,
            e => LogLoopFailed(logger, e),
            stoppingToken);
    }

    /// <summary>
    /// One pass: claims up to a batch of due deliveries (events before expiry notices,
    /// <see cref="PostgresWebhookOutbox.ClaimDueAsync"/>), with no more notices than the pace allows
    /// now; sends them in parallel and records them together: one commit for the whole batch rather
    /// than one per delivery, so a burst of webhooks (a mass expiry) does not spend the database's
    /// commits that session appends need. Only notices are paced: a payment's, a refund's or a
    /// cancel's webhook never waits for the pace, so a steady stream of them can never fall behind a
    /// ceiling. A crash between sending and recording sends again when the lease runs out (at least
    /// once). True when it found any, or when notices may be waiting for the pace.
    /// </summary>
    private async Task<bool> DeliverDueAsync(DeliveryPace pace, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var notices = pace.TryTake(settings.BatchSize, out var untilNotices);
        var noticesSent = 0;
        try
        {
            var lease = (settings.Timeout * 2) + TimeSpan.FromSeconds(30);
            var due = await outbox.ClaimDueAsync(clock.GetUtcNow(), lease, settings.BatchSize, notices, cancellationToken);
            if (due.Count == 0)
            {
                if (notices > 0)
                {
                    return false;
                }

                // Notices may be due but the pace allows none yet: look again once it does (a
                // fraction of a second), not after a whole poll interval.
                await Task.Delay(untilNotices, clock, cancellationToken);
                return true;
            }

            // Each business's endpoint and keys are read (and the keys decrypted) once per batch, not once per delivery.
            var targets = await ResolveTargets(due);
            var client = http.CreateClient(HttpClientName);
            var outcomes = new WebhookOutcome[due.Count];
            await Parallel.ForAsync(0, due.Count, new ParallelOptions { MaxDegreeOfParallelism = settings.MaxConcurrentDeliveries, CancellationToken = cancellationToken },
                async (i, token) => outcomes[i] = await Deliver(client, targets[due[i].BusinessId], due[i], CountNotice(due[i]), token));
            await outbox.RecordAsync(outcomes, cancellationToken);
            WebhookMetrics.Recorded(outcomes);
            foreach (var outcome in outcomes)
            {
                if (outcome.Status is "pending" or "failed")
                {
                    LogAttemptFailed(logger, outcome.Delivery.EventId, outcome.Delivery.Attempts + 1, outcome.Attempt?.StatusCode ?? 0, outcome.Status == "failed");
                }
            }

            return true;
        }
        finally
        {
            // Only notices that went out count against the ceiling.
            pace.Return(notices - Volatile.Read(ref noticesSent));
        }

        Action CountNotice(ClaimedWebhook delivery) =>
            PostgresWebhookOutbox.IsNotice(delivery.Type) ? () => Interlocked.Increment(ref noticesSent) : static () => { };
    }

    private async Task<Dictionary<string, ResolvedTarget?>> ResolveTargets(IReadOnlyList<ClaimedWebhook> due)
    {
        var businesses = due.Select(d => d.BusinessId).Distinct(StringComparer.Ordinal).ToList();
        var found = await Task.WhenAll(businesses.Select(b => grains.GetGrain<IBusinessGrain>(b).GetWebhookTarget()));
        var targets = new Dictionary<string, ResolvedTarget?>(StringComparer.Ordinal);
        for (var i = 0; i < businesses.Count; i++)
        {
            targets[businesses[i]] = found[i] is { } target ? Resolve(target) : null;
        }

        return targets;
    }

    // Read now, not when the event was appended: a rotated secret or token is the one later attempts carry.
    private ResolvedTarget Resolve(WebhookTarget target)
    {
        string? secret = null;
        string? secretError = null;
        try
        {
            secret = secrets.Unprotect(target.ProtectedSecret);
        }
        catch (CryptographicException)
        {
            secretError = "The webhook secret cannot be read with the configured keys.";
        }

        string? callbackToken = null;
        var callbackTokenError = "The business has no callback token (merchants rotate-callback-token issues one).";
        if (target.ProtectedCallbackToken is not null)
        {
            try
            {
                callbackToken = secrets.Unprotect(target.ProtectedCallbackToken);
                callbackTokenError = null;
            }
            catch (CryptographicException)
            {
                callbackTokenError = "The callback token cannot be read with the configured keys.";
            }
        }

        return new ResolvedTarget(target, secret, secretError, callbackToken, callbackTokenError);
    }

    private async Task<WebhookOutcome> Deliver(
        HttpClient client, ResolvedTarget? resolved, ClaimedWebhook delivery, Action sending, CancellationToken cancellationToken)
    {
        if (resolved is null)
        {
            // No endpoint configured: nothing to send, now or later.
            return new WebhookOutcome(delivery, clock.GetUtcNow(), null, "skipped", null);
        }

        if (!resolved.Target.Receives(delivery.Subscription))
        {
            // The business did not choose this type (judged now, at send time): recorded, never sent.
            return new WebhookOutcome(delivery, clock.GetUtcNow(), null, "unsubscribed", null);
        }

        var attempt = await Send(client, resolved, delivery, sending, cancellationToken);
        var now = clock.GetUtcNow();
        if (attempt.StatusCode is >= 200 and < 300)
        {
            return new WebhookOutcome(delivery, now, attempt, "delivered", null);
        }

        // After a redelivery the schedule runs again from the redelivery, counting its own failures.
        var retryAt = WebhookRetrySchedule.NextAttemptAt(
            delivery.ScheduleFrom ?? delivery.CreatedAt, now, delivery.Attempts + 1 - delivery.ScheduleAttempts, options.Value,
            WebhookRetrySchedule.SpreadOf(delivery.EventId));
        return new WebhookOutcome(delivery, now, attempt, retryAt is null ? "failed" : "pending", retryAt);
    }

    private async Task<AttemptResult> Send(
        HttpClient client, ResolvedTarget resolved, ClaimedWebhook delivery, Action sending, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        int Elapsed() => (int)Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        var target = resolved.Target;

        if (WebhookUrlGuard.Check(target.Url, options.Value.AllowPrivateNetworks) is { } refused)
        {
            return new AttemptResult(target.Url, null, refused, 0);
        }

        if (resolved.Secret is not { } secret)
        {
            return new AttemptResult(target.Url, null, resolved.SecretError, 0);
        }

        string? callbackToken = null;
        if (delivery.SendsCallbackToken)
        {
            if (resolved.CallbackToken is null)
            {
                return new AttemptResult(target.Url, null, resolved.CallbackTokenError, 0);
            }

            callbackToken = resolved.CallbackToken;
        }

        var body = Encoding.UTF8.GetBytes(delivery.Payload);
        using var request = new HttpRequestMessage(HttpMethod.Post, target.Url)
        {
            Content = new ByteArrayContent(body) { Headers = { ContentType = new MediaTypeHeaderValue("application/json") } },
        };
        // One time for both timestamped signatures: this attempt's.
        var sentAt = clock.GetUtcNow();
        var webhookId = StandardWebhookSignature.IdOf(delivery.EventId);
        var timestamp = StandardWebhookSignature.Timestamp(sentAt);
        request.Headers.Add(SignatureHeader, WebhookSignature.Sign(secret, sentAt, body));
        if (delivery.SignsBody)
        {
            // Payviox's header: the body alone, keyed with the same secret (its "webhook token").
            // No timestamp, so it does not stop a replay; the header above does.
            request.Headers.Add(BodySignatureHeader, BodySignature.Sign(secret, body));
        }

        request.Headers.Add(WebhookIdHeader, webhookId);
        request.Headers.Add(StandardWebhookSignature.TimestampHeader, timestamp);
        request.Headers.Add(StandardWebhookSignature.SignatureHeader, StandardWebhookSignature.Sign(secret, webhookId, timestamp, body));
        if (callbackToken is not null)
        {
            request.Headers.Add(CallbackTokenHeader, callbackToken);
        }

        request.Headers.UserAgent.ParseAdd("PaySessions-Webhooks/1.0");
        sending();
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(options.Value.Timeout);
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            return new AttemptResult(target.Url, (int)response.StatusCode, null, Elapsed());
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new AttemptResult(target.Url, null, "timeout", Elapsed());
        }
        catch (HttpRequestException e)
        {
            return new AttemptResult(target.Url, null, e.HttpRequestError.ToString(), Elapsed());
        }
    }

    /// <summary>A business's endpoint with its secret and callback token decrypted, or why they could not be.</summary>
    private sealed record ResolvedTarget(WebhookTarget Target, string? Secret, string? SecretError, string? CallbackToken, string? CallbackTokenError);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Webhook dispatch loop failed; retrying")]
    private static partial void LogLoopFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "Webhook {EventId} attempt {Attempt} failed (HTTP {Status}); gave up: {GaveUp}")]
    private static partial void LogAttemptFailed(ILogger logger, Guid eventId, int attempt, int status, bool gaveUp);
}
