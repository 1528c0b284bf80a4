namespace PaySessions.Grains.EventStore;

/// <summary>Lookups over what the event store writes beside the events: the projection and indexes.</summary>
public interface ISessionIndex
{
    /// <summary>The session that started the attempt with this provider reference, or null.</summary>
    Task<string?> FindByProviderReferenceAsync(string provider, string reference, CancellationToken cancellationToken = default);

    /// <summary>Open sessions whose <c>expires_at</c> is at or before <paramref name="now"/>, oldest first.</summary>
    Task<IReadOnlyList<string>> DueForExpiryAsync(DateTimeOffset now, int limit, CancellationToken cancellationToken = default);
}
