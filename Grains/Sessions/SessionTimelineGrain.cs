using Orleans.Concurrency;
using PaySessions.Grains.Payments;
using PaySessions.Grains.Webhooks;

namespace PaySessions.Grains.Sessions;

/// <summary>
/// Reads a session's timeline (<see cref="ISessionTimelineGrain"/>): its events and webhook
/// deliveries from the session grain, callbacks and redeliveries from their logs, merged by
/// <see cref="SessionTimeline.Merge"/>. Stateless, so reading a timeline never holds the session's turn
/// for the two extra queries.
/// </summary>
[StatelessWorker]
[Reentrant]
public sealed class SessionTimelineGrain(IProviderCallbackLog callbacks, IWebhookOutbox outbox) : Grain, ISessionTimelineGrain
{
    public async Task<IReadOnlyList<TimelineEntry>> Read()
    {
        var sessionId = this.GetPrimaryKeyString();
        var session = GrainFactory.GetGrain<IPaymentSessionGrain>(sessionId);
        var events = session.GetEvents();
        var deliveries = session.GetWebhookDeliveries();
        var received = callbacks.ListForSessionAsync(sessionId);
        var redeliveries = outbox.ListRedeliveriesForSessionAsync(sessionId);
        return SessionTimeline.Merge(await events, await deliveries, await received, await redeliveries);
    }
}

/// <summary>How the four records of a session make one timeline; a pure function.</summary>
public static class SessionTimeline
{
    /// <summary>
    /// Everything in order of time. Entries at the same instant keep one fixed order whatever the
    /// inputs' order: by kind (a callback, then the event it caused, then a redelivery request, then
    /// a webhook attempt), then by their own sequence (callback and redelivery ids, event version,
    /// webhook sequence and attempt number).
    /// </summary>
    public static IReadOnlyList<TimelineEntry> Merge(
        IReadOnlyList<SessionEventRecord> events,
        IReadOnlyList<WebhookDelivery> deliveries,
        IReadOnlyList<ProviderCallbackRecord> callbacks,
        IReadOnlyList<WebhookRedeliveryRecord> redeliveries)
    {
        var entries = new List<(TimelineEntry Entry, int Rank, long First, long Second)>();
        entries.AddRange(callbacks.Select(c => (new TimelineEntry(c.ReceivedAt, "provider_callback", Callback: c), 0, c.Id, 0L)));
        entries.AddRange(events.Select(e => (new TimelineEntry(e.OccurredAt, "event", Event: e), 1, (long)e.Version, 0L)));
        entries.AddRange(redeliveries.Select(r => (new TimelineEntry(r.RequestedAt, "webhook_redelivery", Redelivery: r), 2, r.Id, 0L)));
        entries.AddRange(deliveries.SelectMany(d => d.Attempts.Select(a => (
            new TimelineEntry(a.At, "webhook_attempt", Attempt: new TimelineWebhookAttempt(d.Id, d.Type, a.Attempt, a.StatusCode, a.DurationMs, a.Error)),
            3, (long)d.Sequence, (long)a.Attempt))));
        return [.. entries
            .OrderBy(e => e.Entry.At.UtcTicks)
            .ThenBy(e => e.Rank)
            .ThenBy(e => e.First)
            .ThenBy(e => e.Second)
            .ThenBy(e => e.Entry.Attempt?.WebhookId, StringComparer.Ordinal)
            .Select(e => e.Entry)];
    }
}
