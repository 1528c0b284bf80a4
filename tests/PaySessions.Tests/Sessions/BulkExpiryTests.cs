using Microsoft.Extensions.Options;
using Npgsql;
using Orleans.Runtime;
using PaySessions.Grains.EventStore;
using PaySessions.Grains.Sessions;
using PaySessions.Grains.Sessions.Xendit;
using PaySessions.Tests.Infrastructure;

namespace PaySessions.Tests.Sessions;

/// <summary>
/// The sweep's bulk expiry on the test cluster (real silo, real PostgreSQL, the fixture's fake
/// clock): sessions at rest are expired without their grains, leaving the same rows their grains
/// would have; a grain that is active is never left with a stale state; a bulk write that dies
/// leaves nothing and the next sweep finishes the job. Sessions "at rest" are written through an
/// event store of the test's own (<see cref="RestingSessions"/>), so no grain of theirs is active.
/// </summary>
[Collection(SessionClusterCollection.Name)]
public sealed class BulkExpiryTests(SessionClusterFixture fixture)
{
    private static readonly PaymentLinks Links = new("http://127.0.0.1:5080");
    private static readonly TimeSpan Life = TimeSpan.FromMinutes(10);

    private IExpirySweeperGrain Sweeper => fixture.Grains.GetGrain<IExpirySweeperGrain>(0);

    [Fact]
    public async Task Sessions_at_rest_are_expired_without_activating_their_grains_and_active_ones_by_their_grains()
    {
        await using var db = NpgsqlDataSource.Create(fixture.ConnectionString);
        await using var writer = new PostgresEventStore(db);
        var now = SessionClusterFixture.Clock.GetUtcNow();
        var resting = await RestingSessions.WriteMany(writer, 700, SessionClusterFixture.Business, now, Life);
        var active = new List<string>();
        for (var i = 0; i < 20; i++)
        {
            var id = TestSessions.NewId();
            Assert.True((await fixture.Grains.GetGrain<IPaymentSessionGrain>(id).Create(TestSessions.Command(SessionClusterFixture.Business, expiresIn: Life, now: now))).IsCreated);
            active.Add(id);
        }

        SessionClusterFixture.Clock.Advance(Life);
        await Sweeper.SweepNow();

        var rows = await Endings([.. resting, .. active]);
        Assert.All(rows, row =>
        {
            Assert.Equal("expired", row.Status);
            Assert.Equal(["Created", "Expired"], row.Events);
            Assert.Equal(["expired"], row.Webhooks);
        });

        // No grain of a resting session read or wrote its stream: the bulk path did it all. The
        // active ones appended their own Expired.
        Assert.All(resting, id => Assert.Equal((0, 0), (CountingEventStore.Reads(id), CountingEventStore.Appends(id))));
        Assert.All(active, id => Assert.True(CountingEventStore.Appends(id) >= 2));
        var grains = resting.Select(id => fixture.Grains.GetGrain<IPaymentSessionGrain>(id).GetGrainId()).ToHashSet();
        var statistics = await fixture.Grains.GetGrain<IManagementGrain>(0).GetDetailedGrainStatistics();
        Assert.DoesNotContain(statistics, s => grains.Contains(s.GrainId));
    }

    [Theory]
    [InlineData(SessionDialect.Payviox)]
    [InlineData(SessionDialect.Xendit)]
    public async Task A_bulk_expired_session_has_the_same_event_projection_and_outbox_rows_as_a_grain_expired_twin(SessionDialect dialect)
    {
        await using var db = NpgsqlDataSource.Create(fixture.ConnectionString);
        await using var writer = new PostgresEventStore(db);
        var now = SessionClusterFixture.Clock.GetUtcNow();
        var facts = RestingSessions.Created(SessionClusterFixture.Business, now, Life, dialect);
        var byGrain = TestSessions.NewId();
        var inBulk = TestSessions.NewId();
        await RestingSessions.Write(writer, byGrain, facts with { EventId = Guid.NewGuid(), OrderId = "order_" + Guid.NewGuid().ToString("N")[..10] });
        await RestingSessions.Write(writer, inBulk, facts with { EventId = Guid.NewGuid(), OrderId = "order_" + Guid.NewGuid().ToString("N")[..10] });

        // At the same instant of the fake clock, one twin is expired by its grain (a read finds it
        // due), the other by the sweep's bulk path.
        SessionClusterFixture.Clock.Advance(Life + TimeSpan.FromSeconds(1));
        Assert.Equal(SessionStatus.Expired, (await fixture.Grains.GetGrain<IPaymentSessionGrain>(byGrain).GetSnapshot())!.Status);
        await Sweeper.SweepNow();
        Assert.Equal((0, 0), (CountingEventStore.Reads(inBulk), CountingEventStore.Appends(inBulk)));

        var grainRows = await RestingSessions.Rows(fixture.ConnectionString, byGrain);
        var bulkRows = await RestingSessions.Rows(fixture.ConnectionString, inBulk);
        Assert.Equal(4, grainRows.Count);
        Assert.Equal(grainRows, bulkRows);
    }

    [Fact]
    public async Task A_bulk_sweep_racing_cancels_and_payments_leaves_each_session_exactly_one_ending()
    {
        await using var db = NpgsqlDataSource.Create(fixture.ConnectionString);
        await using var writer = new PostgresEventStore(db);
        var now = SessionClusterFixture.Clock.GetUtcNow();
        var ids = await RestingSessions.WriteMany(writer, 600, SessionClusterFixture.Business, now, Life);
        SessionClusterFixture.Clock.Advance(Life);

        // Pages of the sweep and the sessions' own commands reach the same sessions at once: a grain
        // activated by a command after the sweep read its page races the bulk write of it.
        var racers = new List<Task> { Sweeper.SweepNow() };
        racers.AddRange(ids.Select((id, i) => (i % 3) switch
        {
            0 => fixture.Grains.InitiatePayment(id, new InitiatePayment("sandbox_card", null)),
            1 => fixture.Grains.GetGrain<IPaymentSessionGrain>(id).Cancel("race"),
            _ => Task.CompletedTask,
        }));
        racers.Add(Sweeper.SweepNow());
        await Task.WhenAll(racers);

        var rows = await Endings(ids);
        Assert.Equal(ids.Length, rows.Count);
        Assert.All(rows, row =>
        {
            Assert.Equal("expired", row.Status);
            Assert.Equal(["Created", "Expired"], row.Events);
            Assert.Equal(["expired"], row.Webhooks);
        });

        // Every grain the race woke answers as the rows say.
        foreach (var id in ids.Where((_, i) => i % 3 != 2))
        {
            Assert.Equal(SessionStatus.Expired, (await fixture.Grains.GetGrain<IPaymentSessionGrain>(id).GetSnapshot())!.Status);
        }
    }

    [Fact]
    public async Task A_connection_dropped_in_a_bulk_write_leaves_no_rows_and_a_later_sweep_expires_the_sessions()
    {
        await using var db = NpgsqlDataSource.Create(fixture.ConnectionString);
        await using var writer = new PostgresEventStore(db);
        var now = SessionClusterFixture.Clock.GetUtcNow();
        var ids = await RestingSessions.WriteMany(writer, 40, SessionClusterFixture.Business, now, Life);
        SessionClusterFixture.Clock.Advance(Life);

        // A store of the test's own, one writer and one chunk, whose connection is killed after the
        // chunk's statement ran and before its commit.
        var killed = 0;
        await using (var dropping = new PostgresEventStore(db, Options.Create(new EventStoreOptions { Writers = 1, SweepChunkSize = 100 }))
        {
            BeforeCommit = async batch =>
            {
                if (batch.Sweep)
                {
                    await using var kill = db.CreateCommand("SELECT pg_terminate_backend($1)");
                    kill.Parameters.Add(new NpgsqlParameter<int> { TypedValue = batch.BackendProcessId });
                    Assert.True((bool)(await kill.ExecuteScalarAsync())!);
                    Interlocked.Increment(ref killed);
                }
            },
        })
        {
            await Assert.ThrowsAnyAsync<NpgsqlException>(() => dropping.ExpireDueAsync(ids, SessionClusterFixture.Clock.GetUtcNow(), Links));
        }

        Assert.Equal(1, killed);
        var untouched = await Endings(ids);
        Assert.All(untouched, row =>
        {
            Assert.Equal("created", row.Status);
            Assert.Equal(["Created"], row.Events);
            Assert.Empty(row.Webhooks);
        });

        await Sweeper.SweepNow();

        var rows = await Endings(ids);
        Assert.All(rows, row =>
        {
            Assert.Equal("expired", row.Status);
            Assert.Equal(["Created", "Expired"], row.Events);
            Assert.Equal(["expired"], row.Webhooks);
        });
        Assert.All(ids, id => Assert.Equal(0, CountingEventStore.Appends(id)));
    }

    [Fact]
    public async Task An_active_grain_of_a_session_expired_in_bulk_answers_expired_and_adds_no_second_ending()
    {
        await using var db = NpgsqlDataSource.Create(fixture.ConnectionString);
        await using var bulk = new PostgresEventStore(db);
        var now = SessionClusterFixture.Clock.GetUtcNow();
        var ids = Enumerable.Range(0, 3).Select(_ => TestSessions.NewId()).ToArray();
        foreach (var id in ids)
        {
            var grain = fixture.Grains.GetGrain<IPaymentSessionGrain>(id);
            Assert.True((await grain.Create(TestSessions.Command(SessionClusterFixture.Business, expiresIn: Life, now: now))).IsCreated);
            Assert.Equal(SessionStatus.Created, (await grain.GetSnapshot())!.Status);
        }

        // The grains stay active holding "created" while a bulk expiry (here on a store of the
        // test's own, as a sweep on another silo would) writes their Expired.
        SessionClusterFixture.Clock.Advance(Life);
        Assert.Equal(ids.Order(), (await bulk.ExpireDueAsync(ids, SessionClusterFixture.Clock.GetUtcNow(), Links)).Expired.Order());

        var first = fixture.Grains.GetGrain<IPaymentSessionGrain>(ids[0]);
        var snapshot = (await first.GetSnapshot())!;
        Assert.Equal((SessionStatus.Expired, 2), (snapshot.Status, snapshot.Version));
        var canceled = await fixture.Grains.GetGrain<IPaymentSessionGrain>(ids[1]).Cancel("too late");
        Assert.False(canceled.Succeeded);
        Assert.Equal(SessionStatus.Expired, canceled.Session!.Status);
        var paid = await fixture.Grains.InitiatePayment(ids[2], new InitiatePayment("sandbox_card", null));
        Assert.Equal(InitiatePaymentOutcome.Closed, paid.Outcome);

        var rows = await Endings(ids);
        Assert.All(rows, row =>
        {
            Assert.Equal("expired", row.Status);
            Assert.Equal(["Created", "Expired"], row.Events);
            Assert.Equal(["expired"], row.Webhooks);
        });
    }

    private async Task<List<SessionEnding>> Endings(string[] ids)
    {
        var rows = await SessionEnding.Read(fixture.ConnectionString, ids);
        Assert.Equal(ids.Length, rows.Count);
        return rows;
    }
}
