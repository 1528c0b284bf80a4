using System.Collections.Concurrent;
using PaySessions.Grains.EventStore;
using PaySessions.Grains.Sessions.Events;
using PaySessions.Grains.Sessions.Xendit;
using PaySessions.Grains.Webhooks;

namespace PaySessions.Tests.Infrastructure;

/// <summary>
/// The real event store, with a tally of the calls each stream received: every call goes on to
/// PostgreSQL unchanged. The test cluster's silo runs in this process, so tests read the tallies
/// of the very instance its grains use.
/// </summary>
public sealed class CountingEventStore(IEventStore inner) : IEventStore
{
    private static readonly ConcurrentDictionary<string, int> ReadsByStream = new(StringComparer.Ordinal);
    private static readonly ConcurrentDictionary<string, int> AppendsByStream = new(StringComparer.Ordinal);

    /// <summary>How many times the stream was read (<see cref="IEventStore.ReadStreamAsync"/>).</summary>
    public static int Reads(string streamId) => ReadsByStream.GetValueOrDefault(streamId);

    /// <summary>How many appends were asked of the stream, whatever their result.</summary>
    public static int Appends(string streamId) => AppendsByStream.GetValueOrDefault(streamId);

    public Task<IReadOnlyList<StoredEvent>> ReadStreamAsync(string streamId, CancellationToken cancellationToken = default)
    {
        ReadsByStream.AddOrUpdate(streamId, 1, (_, n) => n + 1);
        return inner.ReadStreamAsync(streamId, cancellationToken);
    }

    public Task<AppendResult> AppendAsync(
        string streamId,
        int expectedVersion,
        IReadOnlyList<PaymentSessionEvent> events,
        SessionProjection projection,
        IReadOnlyList<OutboundWebhook>? webhooks = null,
        CancellationToken cancellationToken = default)
    {
        AppendsByStream.AddOrUpdate(streamId, 1, (_, n) => n + 1);
        return inner.AppendAsync(streamId, expectedVersion, events, projection, webhooks, cancellationToken);
    }

    public Task<BulkExpiryResult> ExpireDueAsync(IReadOnlyList<string> sessionIds, DateTimeOffset now, PaymentLinks links, CancellationToken cancellationToken = default) =>
        inner.ExpireDueAsync(sessionIds, now, links, cancellationToken);
}
