using System.Collections.Concurrent;
using PaySessions.Grains.EventStore;
using PaySessions.Grains.Sessions.Events;
using PaySessions.Grains.Sessions.Xendit;
using PaySessions.Grains.Webhooks;

namespace PaySessions.Tests.Infrastructure;

/// <summary>
/// The real event store, with a tally of the calls each stream received: every call goes on to
/// PostgreSQL unchanged, unless a test breaks a stream of its own (<see cref="Break"/>). The test
/// cluster's silo runs in this process, so tests read the tallies of the very instance its grains use.
/// </summary>
public sealed class CountingEventStore(IEventStore inner) : IEventStore
{
    private static readonly ConcurrentDictionary<string, int> ReadsByStream = new(StringComparer.Ordinal);
    private static readonly ConcurrentDictionary<string, int> AppendsByStream = new(StringComparer.Ordinal);

    /// <summary>How many times the stream was read (<see cref="IEventStore.ReadStreamAsync"/>).</summary>
    public static int Reads(string streamId) => ReadsByStream.GetValueOrDefault(streamId);

    /// <summary>How many appends were asked of the stream, whatever their result.</summary>
    public static int Appends(string streamId) => AppendsByStream.GetValueOrDefault(streamId);

    private static readonly ConcurrentDictionary<string, StoreFault> Faults = new(StringComparer.Ordinal);

    /// <summary>From now on the stream's calls fail as <paramref name="fault"/> says, until <see cref="Mend"/>.</summary>
    public static void Break(string streamId, StoreFault fault) => Faults[streamId] = fault;

    public static void Mend(string streamId) => Faults.TryRemove(streamId, out _);

    /// <summary>What a connection that broke looks like to a caller (Npgsql's own type, as PostgreSQL going away throws it).</summary>
    public static Exception ConnectionLost(string streamId) => new Npgsql.NpgsqlException($"Connection to PostgreSQL lost (injected for {streamId})");

    public Task<IReadOnlyList<StoredEvent>> ReadStreamAsync(string streamId, CancellationToken cancellationToken = default)
    {
        ReadsByStream.AddOrUpdate(streamId, 1, (_, n) => n + 1);
        return Faults.GetValueOrDefault(streamId) == StoreFault.Unreachable
            ? Task.FromException<IReadOnlyList<StoredEvent>>(ConnectionLost(streamId))
            : inner.ReadStreamAsync(streamId, cancellationToken);
    }

    public async Task<AppendResult> AppendAsync(
        string streamId,
        int expectedVersion,
        IReadOnlyList<PaymentSessionEvent> events,
        SessionProjection projection,
        IReadOnlyList<OutboundWebhook>? webhooks = null,
        CancellationToken cancellationToken = default)
    {
        AppendsByStream.AddOrUpdate(streamId, 1, (_, n) => n + 1);
        switch (Faults.GetValueOrDefault(streamId))
        {
            case StoreFault.Unreachable:
                throw ConnectionLost(streamId);
            case StoreFault.AnswerLostAfterCommit:
                await inner.AppendAsync(streamId, expectedVersion, events, projection, webhooks, cancellationToken);
                throw ConnectionLost(streamId);
            default:
                return await inner.AppendAsync(streamId, expectedVersion, events, projection, webhooks, cancellationToken);
        }
    }

    public Task<BulkExpiryResult> ExpireDueAsync(IReadOnlyList<string> sessionIds, DateTimeOffset now, PaymentLinks links, CancellationToken cancellationToken = default) =>
        inner.ExpireDueAsync(sessionIds, now, links, cancellationToken);
}

public enum StoreFault
{
    None,

    /// <summary>Every read and append fails: the database is gone.</summary>
    Unreachable,

    /// <summary>Appends are committed, then fail: the connection broke while COMMIT's answer was on its way.</summary>
    AnswerLostAfterCommit,
}
