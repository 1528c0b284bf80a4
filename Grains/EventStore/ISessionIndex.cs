using PaySessions.Grains.Sessions;

namespace PaySessions.Grains.EventStore;

/// <summary>Lookups over what the event store writes beside the events: the projection and indexes.</summary>
public interface ISessionIndex
{
    /// <summary>The session that started the attempt with this provider reference, or null.</summary>
    Task<string?> FindByProviderReferenceAsync(string provider, string reference, CancellationToken cancellationToken = default);

    /// <summary>
    /// Open sessions whose <c>expires_at</c> is at or before <paramref name="now"/>, in
    /// (<c>expires_at</c>, id) order, starting after <paramref name="after"/> (null: from the oldest).
    /// Paging by that key, a sweep walks the due range once even while earlier pages are still
    /// being expired (their rows stay open until their appends commit).
    /// </summary>
    Task<IReadOnlyList<DueSession>> DueForExpiryAsync(DateTimeOffset now, DueSession? after, int limit, CancellationToken cancellationToken = default);

    /// <summary>
    /// One page of a scope's sessions that match the filter, newest first, from the projection,
    /// each folded from its events as its grain folds them. Page and events are read in one
    /// snapshot, so a session's row and its events agree.
    /// </summary>
    Task<SessionListPage> ListAsync(SessionListQuery query, CancellationToken cancellationToken = default);
}

/// <summary>An open session past its time, and the key a sweep pages by.</summary>
public readonly record struct DueSession(string SessionId, DateTimeOffset ExpiresAt);
