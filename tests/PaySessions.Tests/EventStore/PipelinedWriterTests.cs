using Microsoft.Extensions.Options;
using Npgsql;
using PaySessions.Grains.EventStore;
using PaySessions.Grains.Sessions.Events;
using PaySessions.Tests.Infrastructure;
using static PaySessions.Tests.EventStore.StoredRows;

namespace PaySessions.Tests.EventStore;

/// <summary>
/// Group commit with several writers, on a real PostgreSQL: a stream's appends stay behind its
/// batch in flight while other writers go on, and a conflict between two writers' transactions
/// still fails only the append that lost.
/// </summary>
public sealed class PipelinedWriterTests : IAsyncLifetime
{
    private const int Writers = 3;
    private static readonly DateTimeOffset Now = new(2026, 12, 1, 8, 0, 0, TimeSpan.Zero);
    private readonly OneBatchGate _gate = new();
    private NpgsqlDataSource _db = null!;
    private PostgresEventStore _store = null!;

    public async Task InitializeAsync()
    {
        _db = await TestDatabase.OpenAsync("pipelined_writer_tests");
        _store = Store();
    }

    public async Task DisposeAsync()
    {
        _gate.Release();
        await _store.DisposeAsync();
        await _db.DisposeAsync();
    }

    [Fact]
    public async Task A_streams_next_append_waits_behind_its_batch_in_flight_while_the_other_writers_commit()
    {
        var stream = TestSessions.NewId();
        var created = TestSessions.CreatedEvent(TestSessions.NewBusiness(), "order_held", Now);
        var first = await _gate.HoldAsync(() => _store.AppendAsync(stream, 0, [created], Projection(stream, created, "created", 1)));

        // Made while the first is still uncommitted: it must not go out in another transaction.
        var expired = new Expired { EventId = Guid.NewGuid(), OccurredAt = Now.AddHours(1) };
        var second = _store.AppendAsync(stream, 1, [expired], Projection(stream, created, "expired", 2));

        var others = Enumerable.Range(0, 1000).Select(_ => TestSessions.NewId())
            .Where(s => PostgresEventStore.WriterOf(s, Writers) != PostgresEventStore.WriterOf(stream, Writers))
            .Take(30)
            .ToArray();
        var business = TestSessions.NewBusiness();
        var results = await Task.WhenAll(others.Select((s, i) =>
        {
            var e = TestSessions.CreatedEvent(business, $"order_{i}", Now);
            return _store.AppendAsync(s, 0, [e], Projection(s, e, "created", 1));
        })).WaitAsync(TimeSpan.FromMinutes(1));

        Assert.All(results, r => Assert.Equal(AppendResult.Appended, r));
        Assert.False(second.IsCompleted);
        Assert.Equal(1, _store.Pending);

        _gate.Release();
        Assert.Equal(AppendResult.Appended, await first);
        Assert.Equal(AppendResult.Appended, await second);
        var events = await _store.ReadStreamAsync(stream);
        Assert.Equal([created.EventId, expired.EventId], events.Select(e => e.Event.EventId));
        Assert.Equal(("expired", 2), await ProjectionOf(_db, stream));
    }

    [Fact]
    public async Task One_order_id_taken_at_once_in_two_writers_transactions_is_refused_to_one_append_only()
    {
        for (var round = 0; round < 20; round++)
        {
            var business = TestSessions.NewBusiness();
            var a = TestSessions.NewId();
            var b = Enumerable.Range(0, 1000).Select(_ => TestSessions.NewId())
                .First(s => PostgresEventStore.WriterOf(s, Writers) != PostgresEventStore.WriterOf(a, Writers));
            var fine = Enumerable.Range(0, 6).Select(_ => TestSessions.NewId()).ToArray();

            var createdA = TestSessions.CreatedEvent(business, "order_same", Now);
            var createdB = TestSessions.CreatedEvent(business, "order_same", Now);
            var fineEvents = fine.Select((_, i) => TestSessions.CreatedEvent(business, $"order_fine_{i}", Now)).ToArray();

            var contested = new[]
            {
                Task.Run(() => _store.AppendAsync(a, 0, [createdA], Projection(a, createdA, "created", 1))),
                Task.Run(() => _store.AppendAsync(b, 0, [createdB], Projection(b, createdB, "created", 1))),
            };
            var neighbours = fine.Select((s, i) => Task.Run(() => _store.AppendAsync(s, 0, [fineEvents[i]], Projection(s, fineEvents[i], "created", 1)))).ToArray();

            var outcomes = await Task.WhenAll(contested);
            Assert.Equal([AppendResult.Appended, AppendResult.DuplicateOrderId], outcomes.Order());
            Assert.All(await Task.WhenAll(neighbours), r => Assert.Equal(AppendResult.Appended, r));

            var (winner, loser) = outcomes[0] == AppendResult.Appended ? (a, b) : (b, a);
            Assert.Single(await _store.ReadStreamAsync(winner));
            Assert.Empty(await _store.ReadStreamAsync(loser));
            Assert.Equal(("created", 1), await ProjectionOf(_db, winner));
            Assert.Null(await ProjectionOf(_db, loser));
        }
    }

    private PostgresEventStore Store() =>
        new(_db, Options.Create(new EventStoreOptions { Writers = Writers, MaxBatchSize = 64 })) { BeforeCommit = _gate.Hook };

    /// <summary>Holds the next batch that reaches the commit (one, whichever writer has it) until released.</summary>
    private sealed class OneBatchGate
    {
        private readonly TaskCompletionSource _entered = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _armed;

        public async Task Hook(EventStoreBatch batch)
        {
            if (Interlocked.Exchange(ref _armed, 0) == 1)
            {
                _entered.TrySetResult();
                await _release.Task;
            }
        }

        /// <summary>Starts <paramref name="append"/> and returns once its batch is held at the gate.</summary>
        public async Task<Task<AppendResult>> HoldAsync(Func<Task<AppendResult>> append)
        {
            Volatile.Write(ref _armed, 1);
            var held = append();
            await _entered.Task.WaitAsync(TimeSpan.FromMinutes(1));
            return held;
        }

        public void Release() => _release.TrySetResult();
    }
}
