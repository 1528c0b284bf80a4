namespace PaySessions.Grains.Sessions;

/// <summary>
/// A session's timeline: its events, the provider callbacks received for it, every merchant
/// webhook attempt and every redelivery request, in time order (see <see cref="TimelineEntry"/>).
/// One stateless worker per session id; the caller checks ownership first.
/// </summary>
[Alias("PaySessions.ISessionTimelineGrain")]
public interface ISessionTimelineGrain : IGrainWithStringKey
{
    [Alias("Read")]
    Task<IReadOnlyList<TimelineEntry>> Read();
}

/// <summary>
/// One line of a timeline: <paramref name="Kind"/> is <c>event</c>, <c>provider_callback</c>,
/// <c>webhook_attempt</c> or <c>webhook_redelivery</c>, and exactly the matching part is set.
/// </summary>
[Immutable]
[GenerateSerializer]
[Alias("PaySessions.TimelineEntry")]
public sealed record TimelineEntry(
    [property: Id(50)] DateTimeOffset At,
    [property: Id(51)] string Kind,
    [property: Id(52)] SessionEventRecord? Event = null,
    [property: Id(53)] ProviderCallbackRecord? Callback = null,
    [property: Id(54)] TimelineWebhookAttempt? Attempt = null,
    [property: Id(55)] WebhookRedeliveryRecord? Redelivery = null);

/// <summary>
/// A provider callback as recorded: <paramref name="Outcome"/> <c>accepted</c>, <c>duplicate</c>
/// or <c>rejected</c> (then <paramref name="Reason"/>: <c>bad_signature</c>, <c>malformed</c>,
/// <c>unknown_reference</c>); <paramref name="Result"/> what an accepted one did to the session.
/// The reference, type and payment id are what the body named (unverified when the signature failed).
/// </summary>
[Immutable]
[GenerateSerializer]
[Alias("PaySessions.ProviderCallbackRecord")]
public sealed record ProviderCallbackRecord(
    [property: Id(50)] long Id,
    [property: Id(51)] string Provider,
    [property: Id(52)] DateTimeOffset ReceivedAt,
    [property: Id(53)] string? Reference,
    [property: Id(54)] string? Type,
    [property: Id(55)] string? PaymentId,
    [property: Id(56)] string Outcome,
    [property: Id(57)] string? Reason);

/// <summary>One HTTP attempt of a merchant webhook: no status code when no answer came back (then <paramref name="Error"/>).</summary>
[Immutable]
[GenerateSerializer]
[Alias("PaySessions.TimelineWebhookAttempt")]
public sealed record TimelineWebhookAttempt(
    [property: Id(50)] string WebhookId,
    [property: Id(51)] string Type,
    [property: Id(52)] int Attempt,
    [property: Id(53)] int? StatusCode,
    [property: Id(54)] int DurationMs,
    [property: Id(55)] string? Error);

/// <summary>A redelivery request for one of the session's webhooks: who asked, in which call, single or bulk.</summary>
[Immutable]
[GenerateSerializer]
[Alias("PaySessions.WebhookRedeliveryRecord")]
public sealed record WebhookRedeliveryRecord(
    [property: Id(50)] long Id,
    [property: Id(51)] string RequestId,
    [property: Id(52)] string WebhookId,
    [property: Id(53)] string Type,
    [property: Id(54)] DateTimeOffset RequestedAt,
    [property: Id(55)] string RequestedBy,
    [property: Id(56)] bool Bulk,
    [property: Id(57)] string PreviousStatus);
