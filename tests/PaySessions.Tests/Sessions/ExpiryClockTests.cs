using Npgsql;
using PaySessions.Grains.Sessions;
using PaySessions.Tests.Infrastructure;

namespace PaySessions.Tests.Sessions;

/// <summary>
/// When a session expires, on the fixture's fake clock: no sleeping until a deadline, and no sweep
/// runs in this cluster (nothing schedules its reminder), so whatever expires a session here is the
/// command or read under test.
/// </summary>
[Collection(SessionClusterCollection.Name)]
public sealed class ExpiryClockTests(SessionClusterFixture fixture)
{
    private static readonly TimeSpan PendingWindow = TimeSpan.FromHours(2);

    [Fact]
    public async Task A_session_read_at_its_deadline_is_expired_by_the_read_itself()
    {
        var clock = SessionClusterFixture.Clock;
        var id = TestSessions.NewId();
        var grain = fixture.Grains.GetGrain<IPaymentSessionGrain>(id);
        var created = (await grain.Create(TestSessions.Command(SessionClusterFixture.Business, expiresIn: TimeSpan.FromMinutes(30), now: clock.GetUtcNow()))).Session!;

        clock.SetUtcNow(created.ExpiresAt - TimeSpan.FromTicks(1));
        var justBefore = (await grain.GetSnapshot())!;
        clock.Advance(TimeSpan.FromTicks(1));
        Assert.Equal("created", await ProjectedStatus(id));
        var atDeadline = (await grain.GetSnapshot())!;

        Assert.Equal(SessionStatus.Created, justBefore.Status);
        Assert.Equal(SessionStatus.Expired, atDeadline.Status);
        Assert.Equal(created.ExpiresAt, atDeadline.ClosedAt);
        Assert.Equal(["Created", "Expired"], (await grain.GetEvents()).Select(e => e.Type));
        Assert.Equal("expired", await ProjectedStatus(id));
    }

    [Fact]
    public async Task An_initiated_payment_keeps_the_session_open_until_its_pending_window_ends()
    {
        var clock = SessionClusterFixture.Clock;
        var id = TestSessions.NewId();
        var grain = fixture.Grains.GetGrain<IPaymentSessionGrain>(id);
        var created = (await grain.Create(TestSessions.Command(SessionClusterFixture.Business, expiresIn: TimeSpan.FromMinutes(30), now: clock.GetUtcNow()))).Session!;
        clock.Advance(TimeSpan.FromMinutes(20));
        var paidAt = clock.GetUtcNow();
        Assert.Equal(InitiatePaymentOutcome.Initiated, (await fixture.Grains.InitiatePayment(id, new InitiatePayment("sandbox_card", null))).Outcome);

        clock.SetUtcNow(created.ExpiresAt + TimeSpan.FromMinutes(1));
        var pastCreationDeadline = (await grain.GetSnapshot())!;
        clock.SetUtcNow(paidAt + PendingWindow - TimeSpan.FromTicks(1));
        var justBeforeWindowEnds = (await grain.GetSnapshot())!;
        clock.Advance(TimeSpan.FromTicks(1));
        var windowEnded = (await grain.GetSnapshot())!;

        Assert.Equal(SessionStatus.PaymentInitiated, pastCreationDeadline.Status);
        Assert.Equal(paidAt + PendingWindow, pastCreationDeadline.ExpiresAt);
        Assert.Equal(SessionStatus.PaymentInitiated, justBeforeWindowEnds.Status);
        Assert.Equal(SessionStatus.Expired, windowEnded.Status);
        Assert.Equal(["Created", "PaymentInitiated", "Expired"], (await grain.GetEvents()).Select(e => e.Type));
    }

    private async Task<string> ProjectedStatus(string id)
    {
        await using var db = NpgsqlDataSource.Create(fixture.ConnectionString);
        await using var command = db.CreateCommand("SELECT status FROM sessions WHERE session_id = $1");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = id });
        return (string)(await command.ExecuteScalarAsync())!;
    }
}
