using PaySessions.Grains.Sessions;
using PaySessions.Grains.Sessions.Events;
using PaySessions.Grains.Sessions.Xendit;
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

    /// <summary>
    /// Expires, in bulk and without their grains, those of <paramref name="sessionIds"/> that are
    /// open and due at <paramref name="now"/>: their streams are read in one query, each one's
    /// Expired, projection row and merchant webhook are built from its folded state exactly as its
    /// grain would build them, and they are appended through the writers as sweep work (after live
    /// appends), each guarded by its stream's version. A session whose stream moved on after the
    /// read is left alone and reported in <see cref="BulkExpiryResult.Refused"/>, for its grain to
    /// decide. Throws when the database fails; then none of the failed writer's rows remain.
    /// <paramref name="links"/> makes the hosted-page address that Xendit-style webhook bodies hold.
    /// </summary>
    Task<BulkExpiryResult> ExpireDueAsync(IReadOnlyList<string> sessionIds, DateTimeOffset now, PaymentLinks links, CancellationToken cancellationToken = default);
}

/// <summary>
/// What a bulk expiry did with each session it was given: expired it, found it moved on by someone
/// else between its read and its write (its grain decides), or found it not open and due at all.
/// </summary>
public sealed record BulkExpiryResult(IReadOnlyList<string> Expired, IReadOnlyList<string> Refused, IReadOnlyList<string> NotDue);

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
/// is; a Xendit-style reference_id is a label the merchant may reuse. <see cref="CustomerId"/> is
/// the Xendit-style customer (<c>cust-…</c>) the session is for, for the listing's filter.
/// <see cref="ManualReview"/> (column <c>manual_review</c>): money on the session waits for an
/// operator (see <see cref="PaymentSessionState.ManualReview"/>), for listings to filter by.
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
    SessionDialect Dialect = SessionDialect.Payviox,
    string? CustomerId = null,
    bool ManualReview = false)
{
    /// <summary>The row of <paramref name="sessionId"/> at <paramref name="version"/>, folded into <paramref name="state"/>: the one way a grain or a bulk expiry builds it.</summary>
    public static SessionProjection Of(string sessionId, PaymentSessionState state, int version)
    {
        var facts = state.Facts ?? throw new InvalidOperationException($"Session {sessionId} has no Created event.");
        return new SessionProjection(
            sessionId, facts.BusinessId, facts.OrderId, facts.Customer, state.Status.ToName(),
            facts.Amount, facts.Currency, facts.OccurredAt, state.ExpiresAt, version, state.IsLive, facts.Dialect, facts.Xendit?.CustomerId, state.ManualReview);
    }
}
