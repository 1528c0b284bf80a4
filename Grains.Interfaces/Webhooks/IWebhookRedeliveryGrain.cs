namespace PaySessions.Grains.Webhooks;

/// <summary>
/// Sends merchant webhooks again on a business's request: one stateless worker per business id.
/// A redelivered webhook keeps its event id (so its <c>webhook-id</c>) and its body; it is pending
/// again, due now, with its retry schedule started over, and the request is recorded with it.
/// </summary>
[Alias("PaySessions.IWebhookRedeliveryGrain")]
public interface IWebhookRedeliveryGrain : IGrainWithStringKey
{
    /// <summary>The delivery <paramref name="webhookId"/> (<c>evt_…</c>) of this business in this mode; null when there is none.</summary>
    [Alias("Redeliver")]
    Task<RedeliveredWebhook?> Redeliver(string webhookId, bool livemode, string requestedBy);

    /// <summary>The business's deliveries in this mode that match <paramref name="filter"/>, oldest first, at most <see cref="RedeliveryFilter.Limit"/>.</summary>
    [Alias("RedeliverMatching")]
    Task<BulkRedelivery> RedeliverMatching(RedeliveryFilter filter, bool livemode, string requestedBy);
}

/// <summary>Which deliveries a bulk redelivery takes: a type, a window of creation times ([from, to)), only those not delivered.</summary>
[Immutable]
[GenerateSerializer]
[Alias("PaySessions.RedeliveryFilter")]
public sealed record RedeliveryFilter(
    [property: Id(50)] string? Type,
    [property: Id(51)] DateTimeOffset? CreatedFrom,
    [property: Id(52)] DateTimeOffset? CreatedTo,
    [property: Id(53)] bool OnlyUndelivered,
    [property: Id(54)] int Limit)
{
    /// <summary>
    /// The most one call redelivers: a larger set is taken in several calls (the answer says
    /// whether more matched), so one call is one short transaction and one bounded burst.
    /// </summary>
    public const int MaxLimit = 100;
}

/// <summary>One delivery made pending again: its webhook id, session, type and the status it had.</summary>
[Immutable]
[GenerateSerializer]
[Alias("PaySessions.RedeliveredWebhook")]
public sealed record RedeliveredWebhook(
    [property: Id(50)] string WebhookId,
    [property: Id(51)] string SessionId,
    [property: Id(52)] string Type,
    [property: Id(53)] string PreviousStatus,
    [property: Id(54)] DateTimeOffset CreatedAt,
    [property: Id(55)] string RequestId);

/// <summary>
/// What a bulk call redelivered (at most its limit), and whether more matched: then
/// <paramref name="NextCreatedFrom"/> is the creation time of the first one left, to pass as the next call's start.
/// </summary>
[Immutable]
[GenerateSerializer]
[Alias("PaySessions.BulkRedelivery")]
public sealed record BulkRedelivery(
    [property: Id(50)] string RequestId,
    [property: Id(51)] IReadOnlyList<RedeliveredWebhook> Redelivered,
    [property: Id(52)] bool HasMore,
    [property: Id(53)] DateTimeOffset? NextCreatedFrom);

/// <summary>Webhook ids as merchants see them: <c>evt_</c> and the event id's 32 lowercase hex digits.</summary>
public static class WebhookIds
{
    public static bool TryParse(string? webhookId, out Guid eventId)
    {
        eventId = Guid.Empty;
        // Exactly as written out: lowercase, no braces or dashes, so one delivery has one id.
        return webhookId is { Length: 36 } && webhookId.StartsWith("evt_", StringComparison.Ordinal)
            && Guid.TryParseExact(webhookId.AsSpan(4), "N", out eventId)
            && webhookId.AsSpan(4).SequenceEqual(eventId.ToString("N"));
    }
}
