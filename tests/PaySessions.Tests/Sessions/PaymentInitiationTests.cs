using Orleans.Runtime;
using PaySessions.Grains.Sessions;
using PaySessions.Tests.Infrastructure;

namespace PaySessions.Tests.Sessions;

/// <summary>
/// The session's side of a payment initiation: one slot per session held by a lease, and an
/// attempt key derived from the durable log, so that losing the slot never means a second payment.
/// </summary>
[Collection(SessionClusterCollection.Name)]
public sealed class PaymentInitiationTests(SessionClusterFixture fixture)
{
    private static readonly InitiatePayment Card = new("sandbox_card", null);

    [Fact]
    public async Task A_reserved_attempt_holds_the_session_until_it_is_recorded_or_released()
    {
        var grain = await NewSession();

        var first = await grain.ReserveAttempt(Card);
        var second = await grain.ReserveAttempt(new InitiatePayment("sandbox_wallet", null));
        await grain.ReleaseAttempt(first.Lease);
        var afterRelease = await grain.ReserveAttempt(Card);

        Assert.Null(first.Answer);
        Assert.Equal(1, first.Attempt);
        Assert.Equal(10000, first.Amount);
        Assert.Equal("USD", first.Currency);
        Assert.Equal(InitiatePaymentOutcome.InProgress, second.Answer!.Outcome);
        Assert.Null(afterRelease.Answer);
        Assert.Equal(first.AttemptKey, afterRelease.AttemptKey);
    }

    [Fact]
    public async Task A_session_that_lost_its_slot_to_deactivation_derives_the_same_key_for_the_same_attempt()
    {
        var grain = await NewSession();
        var first = await grain.ReserveAttempt(Card);

        await fixture.Grains.GetGrain<IManagementGrain>(0).ForceActivationCollection(TimeSpan.Zero);
        var again = await grain.ReserveAttempt(Card);

        Assert.Null(again.Answer);
        Assert.Equal(first.Attempt, again.Attempt);
        Assert.Equal(first.AttemptKey, again.AttemptKey);
        Assert.NotEqual(first.Lease, again.Lease);
    }

    [Fact]
    public async Task After_its_lease_runs_out_a_late_answer_neither_records_a_second_attempt_nor_blocks_the_new_one()
    {
        var grain = await NewSession();
        var first = await grain.ReserveAttempt(Card);

        SessionClusterFixture.Clock.Advance(TimeSpan.FromMinutes(1) + TimeSpan.FromSeconds(1));
        var second = await grain.ReserveAttempt(Card);
        var lateWhileHeld = await grain.RecordAttempt(Started(first, "sbx_same"));
        var recorded = await grain.RecordAttempt(Started(second, "sbx_same"));
        var lateAfterwards = await grain.RecordAttempt(Started(first, "sbx_same"));

        Assert.Equal(first.AttemptKey, second.AttemptKey);
        Assert.Equal(InitiatePaymentOutcome.InProgress, lateWhileHeld.Outcome);
        Assert.Equal(InitiatePaymentOutcome.Initiated, recorded.Outcome);
        Assert.Equal(InitiatePaymentOutcome.Initiated, lateAfterwards.Outcome);
        Assert.Equal(["Created", "PaymentInitiated"], (await grain.GetEvents()).Select(e => e.Type));
    }

    [Fact]
    public async Task The_next_attempt_after_a_decline_gets_a_new_key_and_the_sandbox_a_new_reference()
    {
        var grain = await NewSession();
        var first = await fixture.Grains.InitiatePayment(grain.GetPrimaryKeyString(), Card);
        var firstReference = Reference(first);
        var retried = await grain.ReserveAttempt(Card);

        await grain.ReportPayment(new ProviderPaymentReport("sandbox", firstReference, false, null, "declined", null, null));
        var next = await grain.ReserveAttempt(Card);
        await grain.ReleaseAttempt(next.Lease);
        var second = await fixture.Grains.InitiatePayment(grain.GetPrimaryKeyString(), Card);

        Assert.Equal(InitiatePaymentOutcome.Initiated, retried.Answer!.Outcome);
        Assert.Equal(first.RedirectUrl, retried.Answer.RedirectUrl);
        Assert.Equal(2, next.Attempt);
        Assert.NotEqual(AttemptKeys.For(grain.GetPrimaryKeyString(), 1, "sandbox_card"), next.AttemptKey);
        Assert.Equal(AttemptKeys.For(grain.GetPrimaryKeyString(), 2, "sandbox_card"), next.AttemptKey);
        Assert.NotEqual(firstReference, Reference(second));
    }

    [Fact]
    public async Task Each_attempt_records_the_figures_it_asked_for()
    {
        var grain = await NewSession();

        await fixture.Grains.InitiatePayment(grain.GetPrimaryKeyString(), Card);

        var initiated = (await grain.GetEvents()).Single(e => e.Type == "PaymentInitiated");
        Assert.Contains("\"amount\":10000", initiated.Data, StringComparison.Ordinal);
        Assert.Contains("\"currency\":\"USD\"", initiated.Data, StringComparison.Ordinal);
    }

    private static StartedAttempt Started(AttemptReservation reservation, string reference) =>
        new(reservation.Lease, reservation.Attempt, reservation.PaymentMethodId, reservation.Provider, reference, "http://localhost/checkout/" + reference);

    private static string Reference(InitiatePaymentResult result) => result.RedirectUrl![(result.RedirectUrl!.LastIndexOf('/') + 1)..];

    private async Task<IPaymentSessionGrain> NewSession()
    {
        var grain = fixture.Grains.GetGrain<IPaymentSessionGrain>(TestSessions.NewId());
        Assert.True((await grain.Create(TestSessions.Command(SessionClusterFixture.Business) with { ClientIp = null })).IsCreated);
        return grain;
    }
}
