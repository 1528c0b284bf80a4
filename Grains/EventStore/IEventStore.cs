using PaySessions.Grains.Sessions;
using PaySessions.Grains.Sessions.Events;
using PaySessions.Grains.Webhooks;

namespace PaySessions.Grains.EventStore;

/// <summary>
/// The one way events reach PostgreSQL. Every append of every session goes through here, so that
/// grouping concurrent appends into one transaction (group commit) is a change to this service
/// alone, never to the grain.
/// </summary>
public interface IEventStore
{
    /// <summary>The stream's events in version order (version 1 first); empty when it has none.</summary>
    Task<IReadOnlyList<StoredEvent>> ReadStreamAsync(string streamId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Appends <paramref name="events"/> after <paramref name="expectedVersion"/>, upserts the
    /// stream's projection row and queues the <paramref name="webhooks"/> they cause, in one
    /// transaction: either every row is written or none.
    /// </summary>
    Task<AppendResult> AppendAsync(
        string streamId,
        int expectedVersion,
        IReadOnlyList<PaymentSessionEvent> events,
        SessionProjection projection,
        IReadOnlyList<OutboundWebhook>? webhooks = null,
        CancellationToken cancellationToken = default);
}

/// <summary>An event as read back, with the version it holds in its stream.</summary>
public sealed record StoredEvent(int Version, string Type, string Data, PaymentSessionEvent Event);

public enum AppendResult
{
    /// <summary>Written now, or found already written by an earlier try of the same batch.</summary>
    Appended,

    /// <summary>Someone else appended at that version first; nothing was written.</summary>
    VersionConflict,

    /// <summary>The business already has another Payviox-style session for this order id in the same mode (test or live); nothing was written.</summary>
    DuplicateOrderId,
}

/// <summary>
/// The queryable row of a session (the <c>sessions</c> table), written in the same transaction
/// as the events it reflects. It is derived data: the event rows are the record.
/// <see cref="Livemode"/> is part of the order id's uniqueness: test and live are separate worlds.
/// <see cref="Dialect"/> decides whether the order id is unique at all: a Payviox-style order id
/// is; a Xendit-style reference_id is a label the merchant may reuse.
/// </summary>
public sealed record SessionProjection(
    string SessionId,
    string BusinessId,
    string OrderId,
    string Customer,
    string Status,
    long Amount,
    string Currency,
    DateTimeOffset CreatedAt,
    DateTimeOffset ExpiresAt,
    int Version,
    bool Livemode = false,
    SessionDialect Dialect = SessionDialect.Payviox);
