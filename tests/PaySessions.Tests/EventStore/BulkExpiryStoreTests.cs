using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using Npgsql;
using PaySessions.Grains.EventStore;
using PaySessions.Grains.Sessions.Events;
using PaySessions.Grains.Sessions.Xendit;
using static PaySessions.Tests.EventStore.StoredRows;
using PaySessions.Tests.Infrastructure;

namespace PaySessions.Tests.EventStore;

/// <summary>
/// The event store's bulk expiry on a real PostgreSQL, without a cluster: its version guard against
/// a stream that moves on between the read and the write, what it leaves alone, and the writer's
/// order of live appends before sweep work.
/// </summary>
public sealed class BulkExpiryStoreTests : IAsyncLifetime
{
    private static readonly PaymentLinks Links = new("http://127.0.0.1:5080");
    private static readonly DateTimeOffset Now = new(2026, 11, 23, 8, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Life = TimeSpan.FromMinutes(10);
    private NpgsqlDataSource _db = null!;
    private string _business = "";

    public async Task InitializeAsync()
    {
        _db = await TestDatabase.OpenAsync("bulk_expiry_store_tests");
        _business = TestSessions.NewBusiness();
    }

    public async Task DisposeAsync() => await _db.DisposeAsync();

    [Fact]
    public async Task A_stream_that_moves_on_between_the_read_and_the_write_keeps_its_ending_and_gets_no_expiry_rows()
    {
        await using var writer = new PostgresEventStore(_db);
        var ids = await RestingSessions.WriteMany(writer, 6, _business, Now, Life);
        var due = Now + Life;

        // Once the bulk expiry has read the streams and decided, grains decide something newer for
        // half of them: two cancels and a completion, written as their grains write them.
        await using var store = new PostgresEventStore(_db, Options.Create(new EventStoreOptions()))
        {
            BeforeBulkWrite = async decided =>
            {
                Assert.Equal(6, decided.Count);
                Assert.Equal(AppendResult.Appended, await RestingSessions.Append(writer, ids[0], new Canceled { EventId = Guid.NewGuid(), OccurredAt = due, Reason = "customer" }));
                Assert.Equal(AppendResult.Appended, await RestingSessions.Append(writer, ids[1], new Canceled { EventId = Guid.NewGuid(), OccurredAt = due, Reason = "customer" }));
                Assert.Equal(AppendResult.Appended, await RestingSessions.Append(writer, ids[2], new Completed { EventId = Guid.NewGuid(), OccurredAt = due, Provider = "sandbox", ProviderPaymentId = "pay_1" }));
            },
        };

        var result = await store.ExpireDueAsync(ids, due, Links);

        Assert.Equal(ids[3..].Order(), result.Expired.Order());
        Assert.Equal(ids[..3].Order(), result.Refused.Order());
        Assert.Empty(result.NotDue);
        var endings = new[] { ("canceled", "Canceled", "session.canceled"), ("canceled", "Canceled", "session.canceled"), ("completed", "Completed", "succeeded") };
        for (var i = 0; i < ids.Length; i++)
        {
            var (status, ending, webhook) = i < 3 ? endings[i] : ("expired", "Expired", "expired");
            Assert.Equal((status, 2), await ProjectionOf(_db, ids[i]));
            Assert.Equal(["Created", ending], (await writer.ReadStreamAsync(ids[i])).Select(e => e.Type));
            Assert.Equal([webhook], await WebhookTypes(ids[i]));
        }
    }

    [Fact]
    public async Task Sessions_not_open_and_due_are_left_alone()
    {
        await using var store = new PostgresEventStore(_db);
        var notYet = TestSessions.NewId();
        await RestingSessions.Write(store, notYet, RestingSessions.Created(_business, Now, TimeSpan.FromHours(1)));
        var canceled = TestSessions.NewId();
        await RestingSessions.Write(store, canceled, RestingSessions.Created(_business, Now, Life));
        await RestingSessions.Append(store, canceled, new Canceled { EventId = Guid.NewGuid(), OccurredAt = Now, Reason = null });
        var unknown = TestSessions.NewId();

        var result = await store.ExpireDueAsync([notYet, canceled, unknown], Now + Life, Links);

        Assert.Empty(result.Expired);
        Assert.Empty(result.Refused);
        Assert.Equal([notYet, canceled, unknown], result.NotDue);
        Assert.Equal(("created", 1), await ProjectionOf(_db, notYet));
        Assert.Equal(("canceled", 2), await ProjectionOf(_db, canceled));
        Assert.Null(await ProjectionOf(_db, unknown));
    }

    [Fact]
    public async Task A_writer_writes_the_live_appends_waiting_before_sweep_work_queued_ahead_of_them()
    {
        await using var writer = new PostgresEventStore(_db);
        var sweepIds = await RestingSessions.WriteMany(writer, 5, _business, Now, Life);

        // One writer, held in a live batch while a sweep chunk and then five live appends queue.
        var order = new ConcurrentQueue<string>();
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var store = new PostgresEventStore(_db, Options.Create(new EventStoreOptions { Writers = 1, LiveBatchesPerSweepChunk = 4 }))
        {
            BeforeCommit = async batch =>
            {
                order.Enqueue(batch.Sweep ? $"sweep {batch.Size}" : $"live {batch.Size}");
                if (order.Count == 1)
                {
                    entered.TrySetResult();
                    await release.Task;
                }
            },
        };

        var blocker = RestingSessions.Write(store, TestSessions.NewId(), RestingSessions.Created(_business, Now, TimeSpan.FromHours(1)));
        await entered.Task.WaitAsync(TimeSpan.FromMinutes(1));
        var sweep = store.ExpireDueAsync(sweepIds, Now + Life, Links);
        await WaitUntil(() => store.Pending == 1);
        var live = Enumerable.Range(0, 5).Select(_ => RestingSessions.Write(store, TestSessions.NewId(), RestingSessions.Created(_business, Now, TimeSpan.FromHours(1)))).ToArray();
        await WaitUntil(() => store.Pending == 6);
        release.SetResult();

        await blocker;
        await Task.WhenAll(live);
        Assert.Equal(5, (await sweep).Expired.Count);
        Assert.Equal(["live 1", "live 5", "sweep 5"], order);
    }

    [Fact]
    public async Task While_live_appends_keep_coming_a_sweep_chunk_still_gets_its_turn()
    {
        await using var writer = new PostgresEventStore(_db);
        var sweepIds = await RestingSessions.WriteMany(writer, 3, _business, Now, Life);

        // Each live batch queues the next live append before it commits (four in all), so a live
        // append is always waiting; with one live batch per sweep chunk, the chunk still goes
        // right after the first live batch that finds it held.
        var order = new ConcurrentQueue<string>();
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var more = new ConcurrentQueue<Task>();
        PostgresEventStore? store = null;
        store = new PostgresEventStore(_db, Options.Create(new EventStoreOptions { Writers = 1, LiveBatchesPerSweepChunk = 1 }))
        {
            BeforeCommit = async batch =>
            {
                order.Enqueue(batch.Sweep ? "sweep" : "live");
                if (order.Count == 1)
                {
                    entered.TrySetResult();
                    await release.Task;
                }

                if (!batch.Sweep && more.Count < 4)
                {
                    // Queued before this returns: the append is in the writer's queue at once.
                    more.Enqueue(RestingSessions.Write(store!, TestSessions.NewId(), RestingSessions.Created(_business, Now, TimeSpan.FromHours(1))));
                }
            },
        };
        await using (store)
        {
            var blocker = RestingSessions.Write(store, TestSessions.NewId(), RestingSessions.Created(_business, Now, TimeSpan.FromHours(1)));
            await entered.Task.WaitAsync(TimeSpan.FromMinutes(1));
            var sweep = store.ExpireDueAsync(sweepIds, Now + Life, Links);
            await WaitUntil(() => store.Pending == 1);
            release.SetResult();

            await blocker;
            Assert.Equal(3, (await sweep).Expired.Count);
            await WaitUntil(() => more.Count == 4 && more.All(t => t.IsCompleted));
            await Task.WhenAll(more);

            // The blocker; the first live append, written before the chunk was taken aside; then the
            // chunk, while the second live append waits; then the rest of the live appends.
            Assert.Equal(["live", "live", "sweep", "live", "live", "live"], order);
        }
    }

    private async Task<string[]> WebhookTypes(string sessionId)
    {
        await using var command = _db.CreateCommand("SELECT coalesce(array_agg(type ORDER BY sequence), '{}') FROM webhook_deliveries WHERE session_id = $1");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = sessionId });
        return (string[])(await command.ExecuteScalarAsync())!;
    }

    private static async Task WaitUntil(Func<bool> condition)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        while (!condition())
        {
            await Task.Delay(5, timeout.Token);
        }
    }
}
