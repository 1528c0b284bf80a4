using Npgsql;
using Orleans.Runtime;
using PaySessions.Grains.Sessions;
using PaySessions.Tests.Infrastructure;

namespace PaySessions.Tests.Sessions;

/// <summary>
/// The expiry sweep under load, on the fixture's fake clock: thousands of sessions falling due at
/// once (more than one page of the due query), sweeps racing the sessions' own commands, and what
/// the expired grains leave in memory. Correctness only; how fast is the benchmark's business
/// (bench/expiry/scale.sh).
/// </summary>
[Collection(SessionClusterCollection.Name)]
public sealed class ExpirySweepTests(SessionClusterFixture fixture)
{
    [Fact]
    public async Task Thousands_of_sessions_due_at_once_each_end_expired_with_one_event_and_one_webhook_row()
    {
        // Six pages of the due query (500 a page), so the sweep must carry on past the first.
        var ids = await CreateSessions(3000, TimeSpan.FromMinutes(10));
        SessionClusterFixture.Clock.Advance(TimeSpan.FromMinutes(10));

        await fixture.Grains.GetGrain<IExpirySweeperGrain>(0).SweepNow();

        var rows = await Endings(ids);
        Assert.Equal(ids.Length, rows.Count);
        Assert.All(rows, row =>
        {
            Assert.Equal("expired", row.Status);
            Assert.Equal(["Created", "Expired"], row.Events);
            Assert.Equal(["expired"], row.Webhooks);
        });
    }

    [Fact]
    public async Task A_sweep_racing_cancels_and_payments_leaves_each_session_one_ending_and_its_webhook()
    {
        // Half of the sessions are past their time when the race starts, half are not: the sweep
        // must expire the first half (a cancel or a payment that finds them due expires them too)
        // and leave the second half to the cancels.
        var due = await CreateSessions(300, TimeSpan.FromMinutes(10));
        var notDue = await CreateSessions(300, TimeSpan.FromMinutes(30));
        SessionClusterFixture.Clock.Advance(TimeSpan.FromMinutes(10));

        var sweeper = fixture.Grains.GetGrain<IExpirySweeperGrain>(0);
        var racers = new List<Task> { sweeper.SweepNow() };
        racers.AddRange(due.Concat(notDue).Select((id, i) => i % 3 == 0
            ? fixture.Grains.InitiatePayment(id, new InitiatePayment("sandbox_card", null))
            : (Task)fixture.Grains.GetGrain<IPaymentSessionGrain>(id).Cancel("race")));
        racers.Add(sweeper.SweepNow());
        await Task.WhenAll(racers);
        await Task.WhenAll(notDue.Where((_, i) => (i + due.Length) % 3 == 0).Select(id => fixture.Grains.GetGrain<IPaymentSessionGrain>(id).Cancel("after paying")));

        var rows = (await Endings([.. due, .. notDue])).ToDictionary(r => r.SessionId);
        Assert.All(due, id =>
        {
            Assert.Equal("expired", rows[id].Status);
            Assert.Equal(["Expired"], rows[id].Events.Where(IsEnding));
            Assert.Equal(["expired"], rows[id].Webhooks);
        });
        Assert.All(notDue, id =>
        {
            Assert.Equal("canceled", rows[id].Status);
            Assert.Equal(["Canceled"], rows[id].Events.Where(IsEnding));
            Assert.Equal(["session.canceled"], rows[id].Webhooks.Where(w => w != "session.payment_initiated"));
        });
    }

    [Fact]
    public async Task Sessions_the_sweep_expired_leave_memory_without_waiting_for_idle_collection()
    {
        var ids = await CreateSessions(200, TimeSpan.FromMinutes(10));
        var grains = ids.Select(id => fixture.Grains.GetGrain<IPaymentSessionGrain>(id).GetGrainId()).ToHashSet();
        Assert.Equal(grains.Count, (await ActiveAmong(grains)).Count);
        SessionClusterFixture.Clock.Advance(TimeSpan.FromMinutes(10));

        await fixture.Grains.GetGrain<IExpirySweeperGrain>(0).SweepNow();

        // Idle collection would take the default collection age (minutes); the wait is far shorter.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        var active = await ActiveAmong(grains);
        while (active.Count > 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(250);
            active = await ActiveAmong(grains);
        }

        Assert.Empty(active);

        // Let go is not lost: a read rebuilds the session from its rows.
        var snapshot = await fixture.Grains.GetGrain<IPaymentSessionGrain>(ids[0]).GetSnapshot();
        Assert.Equal(SessionStatus.Expired, snapshot!.Status);
    }

    private static bool IsEnding(string type) => type is "Completed" or "Expired" or "Canceled";

    private async Task<string[]> CreateSessions(int count, TimeSpan expiresIn)
    {
        var now = SessionClusterFixture.Clock.GetUtcNow();
        var ids = Enumerable.Range(0, count).Select(_ => TestSessions.NewId()).ToArray();
        using var gate = new SemaphoreSlim(64);
        await Task.WhenAll(ids.Select(async id =>
        {
            await gate.WaitAsync();
            try
            {
                var created = await fixture.Grains.GetGrain<IPaymentSessionGrain>(id)
                    .Create(TestSessions.Command(SessionClusterFixture.Business, expiresIn: expiresIn, now: now));
                Assert.True(created.IsCreated);
            }
            finally
            {
                gate.Release();
            }
        }));
        return ids;
    }

    private async Task<List<GrainId>> ActiveAmong(HashSet<GrainId> grains)
    {
        var statistics = await fixture.Grains.GetGrain<IManagementGrain>(0).GetDetailedGrainStatistics();
        return [.. statistics.Select(s => s.GrainId).Where(grains.Contains)];
    }

    private Task<List<SessionEnding>> Endings(string[] ids) => SessionEnding.Read(fixture.ConnectionString, ids);
}
