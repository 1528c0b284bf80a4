using Microsoft.Extensions.Options;
using Npgsql;
using PaySessions.Grains.EventStore;
using PaySessions.Grains.Sessions.Events;
using PaySessions.Tests.Infrastructure;
using static PaySessions.Tests.EventStore.StoredRows;

namespace PaySessions.Tests.EventStore;

/// <summary>
/// Group commit under concurrency, on a real PostgreSQL. Where a test needs several appends in one
/// transaction, a <see cref="BatchGate"/> holds the writer in its current batch until the appends
/// under test are all queued, so the next batch holds exactly them.
/// </summary>
public sealed class GroupCommitTests : IAsyncLifetime
{
    private static readonly DateTimeOffset Now = new(2026, 11, 23, 8, 0, 0, TimeSpan.Zero);
    private readonly BatchGate _gate = new();
    private NpgsqlDataSource _db = null!;
    private PostgresEventStore _store = null!;

    public async Task InitializeAsync()
    {
        _db = await TestDatabase.OpenAsync("group_commit_tests");
        // No retry of a broken batch here: these tests look at one transaction at a time
        // (A_batch_whose_connection_broke_… covers the retry).
        _store = Store(new EventStoreOptions { MaxBatchSize = 64, RetryWindow = TimeSpan.Zero });
    }

    public async Task DisposeAsync()
    {
        await _store.DisposeAsync();
        await _db.DisposeAsync();
    }

    [Fact]
    public async Task Many_streams_appending_at_once_each_get_their_own_events_and_projection()
    {
        var streams = Enumerable.Range(0, 300).Select(_ => TestSessions.NewId()).ToArray();
        var business = TestSessions.NewBusiness();
        var created = streams.Select((_, i) => TestSessions.CreatedEvent(business, $"order_{i}", Now)).ToArray();

        var creates = await Task.WhenAll(streams.Select((s, i) => Task.Run(() => _store.AppendAsync(s, 0, [created[i]], Projection(s, created[i], "created", 1)))));
        Assert.All(creates, r => Assert.Equal(AppendResult.Appended, r));

        // Half of them move on, in one batch, while the other half stay as they were.
        var expired = streams.Take(60).Select(_ => new Expired { EventId = Guid.NewGuid(), OccurredAt = Now.AddHours(24) }).ToArray();
        var splitBefore = _store.SplitBatches;
        var expiries = await InOneBatch(streams.Take(60).Select((s, i) =>
            (Func<Task<AppendResult>>)(() => _store.AppendAsync(s, 1, [expired[i]], Projection(s, created[i], "expired", 2)))));
        Assert.Equal(60, _store.LastBatchSize);
        Assert.All(expiries, r => Assert.Equal(AppendResult.Appended, r));

        // Nothing refused: the batch went in one pass (one INSERT, one upsert), not append by append.
        Assert.Equal(splitBefore, _store.SplitBatches);

        for (var i = 0; i < streams.Length; i++)
        {
            var events = await _store.ReadStreamAsync(streams[i]);
            if (i < 60)
            {
                Assert.Equal([created[i].EventId, expired[i].EventId], events.Select(e => e.Event.EventId));
                Assert.Equal(("expired", 2), await ProjectionOf(_db, streams[i]));
            }
            else
            {
                Assert.Equal([created[i].EventId], events.Select(e => e.Event.EventId));
                Assert.Equal(("created", 1), await ProjectionOf(_db, streams[i]));
            }
        }

        Assert.Equal(streams.Length + 60, _store.Appends - 1);
    }

    [Fact]
    public async Task In_one_batch_a_taken_version_or_order_id_fails_only_its_own_append()
    {
        var business = TestSessions.NewBusiness();

        // Already committed by an earlier batch: a stream at version 1 and an order id.
        var existing = TestSessions.NewId();
        var existingCreated = TestSessions.CreatedEvent(business, "order_existing", Now);
        Assert.Equal(AppendResult.Appended, await _store.AppendAsync(existing, 0, [existingCreated], Projection(existing, existingCreated, "created", 1)));

        var appends = new List<(string Stream, int Expected, PaymentSessionEvent Event, SessionProjection Projection, AppendResult Want)>();
        void Add(string stream, int expected, PaymentSessionEvent e, SessionProjection projection, AppendResult want) => appends.Add((stream, expected, e, projection, want));
        Created NewCreated(string order) => TestSessions.CreatedEvent(business, order, Now);

        var fine = new List<string>();
        void AddFine()
        {
            var stream = TestSessions.NewId();
            var created = NewCreated("order_" + Guid.NewGuid().ToString("N")[..10]);
            fine.Add(stream);
            Add(stream, 0, created, Projection(stream, created, "created", 1), AppendResult.Appended);
        }

        AddFine();
        // Version 1 of an existing stream, taken by an earlier batch.
        var canceled = new Canceled { EventId = Guid.NewGuid(), OccurredAt = Now };
        Add(existing, 0, canceled, Projection(existing, existingCreated, "canceled", 1), AppendResult.VersionConflict);
        AddFine();
        // An order id taken by an earlier batch.
        var lateStream = TestSessions.NewId();
        var late = NewCreated("order_existing");
        Add(lateStream, 0, late, Projection(lateStream, late, "created", 1), AppendResult.DuplicateOrderId);
        AddFine();
        // An order id taken earlier in this same batch.
        var firstStream = TestSessions.NewId();
        var first = NewCreated("order_twice");
        Add(firstStream, 0, first, Projection(firstStream, first, "created", 1), AppendResult.Appended);
        var secondStream = TestSessions.NewId();
        var second = NewCreated("order_twice");
        Add(secondStream, 0, second, Projection(secondStream, second, "created", 1), AppendResult.DuplicateOrderId);
        AddFine();
        // A version taken earlier in this same batch, by another writer's events.
        var contested = TestSessions.NewId();
        var winner = NewCreated("order_contested");
        Add(contested, 0, winner, Projection(contested, winner, "created", 1), AppendResult.Appended);
        var loser = new Canceled { EventId = Guid.NewGuid(), OccurredAt = Now };
        Add(contested, 0, loser, Projection(contested, winner, "canceled", 1), AppendResult.VersionConflict);
        AddFine();

        var splitBefore = _store.SplitBatches;
        var results = await InOneBatch(appends.Select(a => (Func<Task<AppendResult>>)(() => _store.AppendAsync(a.Stream, a.Expected, [a.Event], a.Projection))));

        Assert.Equal(appends.Count, _store.LastBatchSize);
        Assert.Equal(splitBefore + 1, _store.SplitBatches);
        Assert.Equal(appends.Select(a => a.Want), results);
        foreach (var (stream, _, e, _, want) in appends)
        {
            Assert.Equal(want == AppendResult.Appended ? 1L : 0L, await EventRows(e.EventId));
        }

        foreach (var stream in fine.Append(firstStream).Append(contested))
        {
            Assert.Equal(("created", 1), await ProjectionOf(_db, stream));
        }

        Assert.Equal(("created", 1), await ProjectionOf(_db, existing));
        Assert.Null(await ProjectionOf(_db, lateStream));
        Assert.Null(await ProjectionOf(_db, secondStream));
    }

    [Fact]
    public async Task Two_appends_to_one_stream_in_one_batch_behave_as_if_written_one_after_the_other()
    {
        var stream = TestSessions.NewId();
        var created = TestSessions.CreatedEvent(TestSessions.NewBusiness(), "order_1", Now);
        var expired = new Expired { EventId = Guid.NewGuid(), OccurredAt = Now.AddHours(24) };
        var retried = TestSessions.NewId();
        var retriedCreated = TestSessions.CreatedEvent(TestSessions.NewBusiness(), "order_1", Now);

        var results = await InOneBatch(
        [
            () => _store.AppendAsync(stream, 0, [created], Projection(stream, created, "created", 1)),
            () => _store.AppendAsync(stream, 1, [expired], Projection(stream, created, "expired", 2)),
            // The same append twice (a retry whose first answer was lost): stored once, both acknowledged.
            () => _store.AppendAsync(retried, 0, [retriedCreated], Projection(retried, retriedCreated, "created", 1)),
            () => _store.AppendAsync(retried, 0, [retriedCreated], Projection(retried, retriedCreated, "created", 1)),
        ]);

        Assert.Equal(4, _store.LastBatchSize);
        Assert.All(results, r => Assert.Equal(AppendResult.Appended, r));
        Assert.Equal([1, 2], (await _store.ReadStreamAsync(stream)).Select(e => e.Version));
        Assert.Equal(("expired", 2), await ProjectionOf(_db, stream));
        Assert.Single(await _store.ReadStreamAsync(retried));
    }

    [Fact]
    public async Task A_connection_killed_before_the_commit_fails_every_append_of_its_batch_and_leaves_none_of_their_rows()
    {
        const int size = 10;
        _gate.OnBatch = async batch =>
        {
            if (batch.Size == size)
            {
                await using var kill = _db.CreateCommand("SELECT pg_terminate_backend($1)");
                kill.Parameters.Add(new NpgsqlParameter<int> { TypedValue = batch.BackendProcessId });
                Assert.True((bool)(await kill.ExecuteScalarAsync())!);
            }
        };

        var business = TestSessions.NewBusiness();
        var streams = Enumerable.Range(0, size).Select(_ => TestSessions.NewId()).ToArray();
        var created = streams.Select((_, i) => TestSessions.CreatedEvent(business, $"order_{i}", Now)).ToArray();
        var attempts = await InOneBatchUnawaited(streams.Select((s, i) =>
            (Func<Task<AppendResult>>)(() => _store.AppendAsync(s, 0, [created[i]], Projection(s, created[i], "created", 1)))));

        foreach (var attempt in attempts)
        {
            await Assert.ThrowsAnyAsync<NpgsqlException>(() => attempt);
        }

        Assert.Equal(size, _store.LastBatchSize);
        foreach (var (stream, i) in streams.Select((s, i) => (s, i)))
        {
            Assert.Equal(0L, await EventRows(created[i].EventId));
            Assert.Null(await ProjectionOf(_db, stream));
        }

        // The writer lives on, and the same appends, tried again, land.
        _gate.OnBatch = null;
        var retries = await Task.WhenAll(streams.Select((s, i) => _store.AppendAsync(s, 0, [created[i]], Projection(s, created[i], "created", 1))));
        Assert.All(retries, r => Assert.Equal(AppendResult.Appended, r));
        foreach (var stream in streams)
        {
            Assert.Single(await _store.ReadStreamAsync(stream));
        }
    }

    [Fact]
    public async Task A_batch_whose_connection_broke_is_sent_again_and_answers_each_append_once_whether_or_not_its_commit_had_landed()
    {
        const int size = 6;
        var gate = new BatchGate();
        await using var store = Store(new EventStoreOptions { MaxBatchSize = 64, RetryWindow = TimeSpan.FromSeconds(30) }, gate);
        await using var elsewhere = new PostgresEventStore(_db, Options.Create(new EventStoreOptions { RetryWindow = TimeSpan.Zero }));
        var business = TestSessions.NewBusiness();
        var streams = Enumerable.Range(0, size).Select(_ => TestSessions.NewId()).ToArray();
        var created = streams.Select((_, i) => TestSessions.CreatedEvent(business, $"order_{i}", Now)).ToArray();

        // The first time the batch is about to commit, half of its appends land through another
        // connection (as if the broken connection's COMMIT had gone through for them before its
        // answer was lost), and the batch's connection is killed.
        var broken = 0;
        var landed = new List<Task<AppendResult>>();
        gate.OnBatch = async batch =>
        {
            if (batch.Size != size || Interlocked.Exchange(ref broken, 1) == 1)
            {
                return;
            }

            for (var i = 0; i < size / 2; i++)
            {
                landed.Add(elsewhere.AppendAsync(streams[i], 0, [created[i]], Projection(streams[i], created[i], "created", 1)));
            }

            // Those appends wait on the batch's uncommitted rows until its connection dies.
            await using var kill = _db.CreateCommand("SELECT pg_terminate_backend($1)");
            kill.Parameters.Add(new NpgsqlParameter<int> { TypedValue = batch.BackendProcessId });
            Assert.True((bool)(await kill.ExecuteScalarAsync())!);
        };

        var attempts = await InOneBatchUnawaited(store, gate, streams.Select((s, i) =>
            (Func<Task<AppendResult>>)(() => store.AppendAsync(s, 0, [created[i]], Projection(s, created[i], "created", 1)))));

        Assert.All(await Task.WhenAll(attempts), r => Assert.Equal(AppendResult.Appended, r));
        Assert.All(await Task.WhenAll(landed), r => Assert.Equal(AppendResult.Appended, r));
        Assert.True(store.Retries >= 1);
        foreach (var (stream, i) in streams.Select((s, i) => (s, i)))
        {
            Assert.Equal(1L, await EventRows(created[i].EventId));
            Assert.Single(await store.ReadStreamAsync(stream));
            Assert.Equal(1, (await ProjectionOf(_db, stream))!.Value.Version);
        }
    }

    [Fact]
    public async Task An_append_alone_is_written_at_once_in_a_batch_of_one_however_long_the_batch_wait()
    {
        await using var patient = Store(new EventStoreOptions { MaxBatchSize = 64, MaxBatchWait = TimeSpan.FromHours(1) });
        var stream = TestSessions.NewId();
        var created = TestSessions.CreatedEvent(TestSessions.NewBusiness(), "order_1", Now);

        // A guard against a hang, not a measure of speed: an append that waited for company would wait forever.
        var result = await patient.AppendAsync(stream, 0, [created], Projection(stream, created, "created", 1)).WaitAsync(TimeSpan.FromMinutes(2));

        Assert.Equal(AppendResult.Appended, result);
        Assert.Equal((1L, 1), (patient.Batches, patient.LastBatchSize));
    }

    [Fact]
    public async Task A_full_batch_is_written_without_waiting_for_the_batch_wait()
    {
        var gate = new BatchGate();
        await using var patient = Store(new EventStoreOptions { MaxBatchSize = 3, MaxBatchWait = TimeSpan.FromHours(1) }, gate);
        var business = TestSessions.NewBusiness();
        var streams = Enumerable.Range(0, 3).Select(_ => TestSessions.NewId()).ToArray();
        var created = streams.Select((_, i) => TestSessions.CreatedEvent(business, $"order_{i}", Now)).ToArray();

        var attempts = await InOneBatchUnawaited(patient, gate, streams.Select((s, i) =>
            (Func<Task<AppendResult>>)(() => patient.AppendAsync(s, 0, [created[i]], Projection(s, created[i], "created", 1)))));

        // A guard against a hang, not a measure of speed: a full batch that waited for more would wait forever.
        var results = await Task.WhenAll(attempts).WaitAsync(TimeSpan.FromMinutes(2));

        Assert.All(results, r => Assert.Equal(AppendResult.Appended, r));
        Assert.Equal(3, patient.LastBatchSize);
    }

    [Fact]
    public async Task Disposing_the_store_writes_the_appends_already_queued()
    {
        var gate = new BatchGate();
        var store = Store(new EventStoreOptions { MaxBatchSize = 64 }, gate);
        var business = TestSessions.NewBusiness();
        var streams = Enumerable.Range(0, 5).Select(_ => TestSessions.NewId()).ToArray();
        var created = streams.Select((_, i) => TestSessions.CreatedEvent(business, $"order_{i}", Now)).ToArray();

        var blocker = await gate.HoldAsync(() => Blocker(store));
        var queued = streams.Select((s, i) => store.AppendAsync(s, 0, [created[i]], Projection(s, created[i], "created", 1))).ToArray();
        await WaitUntil(() => store.Pending == queued.Length);
        var disposing = store.DisposeAsync().AsTask();
        gate.Release();
        await disposing;

        Assert.Equal(AppendResult.Appended, await blocker);
        Assert.All(await Task.WhenAll(queued), r => Assert.Equal(AppendResult.Appended, r));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => store.AppendAsync(streams[0], 1, [new Canceled { EventId = Guid.NewGuid(), OccurredAt = Now }], Projection(streams[0], created[0], "canceled", 2)));
    }

    // One writer: these tests hold "the writer" at the gate to make a batch of exactly the appends
    // they queue (PipelinedWriterTests covers several writers).
    private PostgresEventStore Store(EventStoreOptions options, BatchGate? gate = null)
    {
        var g = gate ?? _gate;
        options.Writers = 1;
        return new PostgresEventStore(_db, Options.Create(options)) { BeforeCommit = g.Hook };
    }

    private async Task<AppendResult[]> InOneBatch(IEnumerable<Func<Task<AppendResult>>> appends) =>
        await Task.WhenAll(await InOneBatchUnawaited(appends));

    private Task<Task<AppendResult>[]> InOneBatchUnawaited(IEnumerable<Func<Task<AppendResult>>> appends) =>
        InOneBatchUnawaited(_store, _gate, appends);

    /// <summary>
    /// Holds the writer in a batch of its own, queues <paramref name="appends"/> in order, and lets
    /// the writer go once all of them wait: its next batch holds exactly them.
    /// </summary>
    private static async Task<Task<AppendResult>[]> InOneBatchUnawaited(PostgresEventStore store, BatchGate gate, IEnumerable<Func<Task<AppendResult>>> appends)
    {
        var blocker = await gate.HoldAsync(() => Blocker(store));
        var started = appends.Select(append => append()).ToArray();
        await WaitUntil(() => store.Pending == started.Length);
        gate.Release();
        Assert.Equal(AppendResult.Appended, await blocker);
        return started;
    }

    private static Task<AppendResult> Blocker(PostgresEventStore store)
    {
        var stream = TestSessions.NewId();
        var created = TestSessions.CreatedEvent(TestSessions.NewBusiness(), "order_blocker", Now);
        return store.AppendAsync(stream, 0, [created], Projection(stream, created, "created", 1));
    }

    private static async Task WaitUntil(Func<bool> condition)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        while (!condition())
        {
            await Task.Delay(5, timeout.Token);
        }
    }

    private async Task<long> EventRows(Guid eventId)
    {
        await using var command = _db.CreateCommand("SELECT count(*) FROM session_events WHERE event_id = $1");
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = eventId });
        return (long)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>The store's before-commit hook: can hold the writer in a batch, and run a step on each batch.</summary>
    private sealed class BatchGate
    {
        private TaskCompletionSource _entered = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private TaskCompletionSource? _release;

        public Func<EventStoreBatch, Task>? OnBatch { get; set; }

        public async Task Hook(EventStoreBatch batch)
        {
            if (Volatile.Read(ref _release) is { } release)
            {
                _entered.TrySetResult();
                await release.Task;
            }

            if (OnBatch is { } step)
            {
                await step(batch);
            }
        }

        /// <summary>Closes the gate, starts <paramref name="blocker"/>, and returns once its batch is held at the gate.</summary>
        public async Task<Task<AppendResult>> HoldAsync(Func<Task<AppendResult>> blocker)
        {
            _entered = new(TaskCreationOptions.RunContinuationsAsynchronously);
            Volatile.Write(ref _release, new(TaskCreationOptions.RunContinuationsAsynchronously));
            var held = blocker();
            await _entered.Task.WaitAsync(TimeSpan.FromMinutes(1));
            return held;
        }

        public void Release() => Interlocked.Exchange(ref _release, null)?.TrySetResult();
    }
}
