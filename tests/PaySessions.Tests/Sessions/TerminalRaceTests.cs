using PaySessions.Grains.Sessions;
using PaySessions.Tests.Infrastructure;

namespace PaySessions.Tests.Sessions;

/// <summary>
/// Completion, cancel and expiry racing for one session at its deadline. The fixture's fake clock is
/// moved to the deadline before, during or after the racers start, so expiry really takes part:
/// it must win when the deadline has passed, may win when it passes mid-race, and must not add a
/// second ending afterwards.
/// </summary>
[Collection(SessionClusterCollection.Name)]
public sealed class TerminalRaceTests(SessionClusterFixture fixture)
{
    private static readonly string[] Terminal = ["Completed", "Expired", "Canceled"];

    private enum DeadlinePasses
    {
        BeforeTheRace,
        DuringTheRace,
        AfterTheRace,
    }

    [Fact]
    public async Task Completion_cancel_and_expiry_racing_at_the_deadline_end_in_exactly_one_terminal_event()
    {
        var clock = SessionClusterFixture.Clock;
        var sweeper = fixture.Grains.GetGrain<IExpirySweeperGrain>(0);
        var endings = new List<(DeadlinePasses When, string Ending)>();
        for (var round = 0; round < 12; round++)
        {
            var when = (DeadlinePasses)(round % 3);
            var id = TestSessions.NewId();
            var grain = fixture.Grains.GetGrain<IPaymentSessionGrain>(id);
            Assert.True((await grain.Create(TestSessions.Command(SessionClusterFixture.Business, expiresIn: TimeSpan.FromMinutes(10), now: clock.GetUtcNow()))).IsCreated);
            var pay = await fixture.Grains.InitiatePayment(id, new InitiatePayment("sandbox_card", null));
            Assert.Equal(InitiatePaymentOutcome.Initiated, pay.Outcome);
            var reference = Sandbox.ReferenceFrom(pay.RedirectUrl!);
            var deadline = (await grain.GetSnapshot())!.ExpiresAt;

            // One tick short of the deadline: nothing is due yet.
            clock.SetUtcNow(deadline - TimeSpan.FromTicks(1));
            if (when == DeadlinePasses.BeforeTheRace)
            {
                clock.Advance(TimeSpan.FromTicks(1));
            }

            var racers = new List<Task>
            {
                grain.ReportPayment(new ProviderPaymentReport("sandbox", reference, true, $"pay_race_{round}", null, 10000, "USD")),
                grain.Cancel("race"),
                grain.ExpireIfDue(),
                sweeper.SweepNow(),
                grain.Cancel("race again"),
            };
            if (when == DeadlinePasses.DuringTheRace)
            {
                await Task.Yield();
                clock.Advance(TimeSpan.FromTicks(1));
            }

            await Task.WhenAll(racers);
            if (when == DeadlinePasses.AfterTheRace)
            {
                clock.Advance(TimeSpan.FromTicks(1));
            }

            // Time goes on and the sweep runs again: an ended session stays as it ended.
            clock.Advance(TimeSpan.FromMinutes(1));
            await sweeper.SweepNow();
            await grain.ExpireIfDue();

            var types = (await grain.GetEvents()).Select(e => e.Type).ToList();
            var ending = Assert.Single(types, Terminal.Contains);
            Assert.Equal(1, types.Count(t => t is "Completed" or "LatePaymentReceived"));
            Assert.Equal(ending != "Completed", types.Contains("LatePaymentReceived"));
            Assert.Equal(Enum.Parse<SessionStatus>(ending), (await grain.GetSnapshot())!.Status);
            endings.Add((when, ending));
        }

        Assert.All(endings.Where(e => e.When == DeadlinePasses.BeforeTheRace), e => Assert.Equal("Expired", e.Ending));
        Assert.All(endings.Where(e => e.When == DeadlinePasses.AfterTheRace), e => Assert.NotEqual("Expired", e.Ending));
    }
}
