using Orleans.Concurrency;
using PaySessions.Grains.EventStore;

namespace PaySessions.Grains.Sessions;

/// <summary>
/// Pages of a merchant's sessions, answered from the projection and the page's events in one
/// snapshot: listing a hundred sessions activates none of their grains.
/// </summary>
[StatelessWorker]
[Reentrant]
public sealed class SessionListingGrain(ISessionIndex index) : Grain, ISessionListingGrain
{
    public Task<SessionListPage> List(SessionListQuery query) => index.ListAsync(query);
}
