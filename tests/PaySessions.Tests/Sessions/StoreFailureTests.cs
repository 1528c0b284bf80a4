using PaySessions.Grains.Sessions;
using PaySessions.Tests.Infrastructure;

namespace PaySessions.Tests.Sessions;

/// <summary>
/// A session grain whose database fails under it (PostgreSQL restarting, or failing over to a
/// replica): the call fails at once, for the front door to answer 503, rather than waiting for
/// the database to come back; and an append whose outcome was lost leaves the grain with nothing
/// of its own, so the next call answers from the stream as stored.
/// </summary>
[Collection(SessionClusterCollection.Name)]
public sealed class StoreFailureTests(SessionClusterFixture fixture)
{
    [Fact]
    public async Task An_append_whose_commit_answer_was_lost_fails_the_call_and_the_next_call_reads_what_was_stored()
    {
        var id = TestSessions.NewId();
        var grain = fixture.Grains.GetGrain<IPaymentSessionGrain>(id);
        Assert.True((await grain.Create(TestSessions.Command(TestSessions.NewBusiness()))).IsCreated);

        CountingEventStore.Break(id, StoreFault.AnswerLostAfterCommit);
        var failure = await Record.ExceptionAsync(() => grain.Cancel("lost answer"));
        CountingEventStore.Mend(id);

        Assert.Contains(nameof(Npgsql.NpgsqlException), failure?.Message, StringComparison.Ordinal);
        var snapshot = await grain.GetSnapshot();
        Assert.Equal(SessionStatus.Canceled, snapshot!.Status);
        Assert.Equal(["Created", "Canceled"], (await grain.GetEvents()).Select(e => e.Type));
    }

    [Fact]
    public async Task While_the_database_is_unreachable_a_session_call_fails_at_once_and_works_again_once_it_is_back()
    {
        var id = TestSessions.NewId();
        var grain = fixture.Grains.GetGrain<IPaymentSessionGrain>(id);
        Assert.True((await grain.Create(TestSessions.Command(TestSessions.NewBusiness()))).IsCreated);

        // The failure reaches the caller as the database's own (its type named: Orleans carries
        // no codec for it), not as the timeout of a grain that waits for the database to come back.
        CountingEventStore.Break(id, StoreFault.Unreachable);
        var cancel = await Record.ExceptionAsync(() => grain.Cancel("while down"));
        var read = await Record.ExceptionAsync(() => grain.GetSnapshot());
        CountingEventStore.Mend(id);

        Assert.Contains(nameof(Npgsql.NpgsqlException), cancel?.Message, StringComparison.Ordinal);
        Assert.Contains(nameof(Npgsql.NpgsqlException), read?.Message, StringComparison.Ordinal);
        Assert.Equal(SessionStatus.Created, (await grain.GetSnapshot())!.Status);
        Assert.True((await grain.Cancel("back")).Succeeded);
        Assert.Equal(["Created", "Canceled"], (await grain.GetEvents()).Select(e => e.Type));
    }
}
