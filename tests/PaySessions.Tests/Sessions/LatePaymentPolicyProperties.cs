using FsCheck;
using FsCheck.Fluent;
using PaySessions.Grains.Sessions;
using PaySessions.Grains.Sessions.Events;
using PaySessions.Tests.Infrastructure;

namespace PaySessions.Tests.Sessions;

/// <summary>
/// The late-payment decider over (how the session ended, what it was, what the provider reported,
/// the business's policy): the late payment is always recorded with the policy it met, and then
/// refunded, accepted (the session completes) or flagged, as the policy and the figures allow.
/// </summary>
public sealed class LatePaymentPolicyProperties
{
    private const long Asked = 250000;
    private const string AskedCurrency = "EUR";
    private static readonly DateTimeOffset Now = new(2026, 12, 1, 10, 0, 0, TimeSpan.Zero);

    public enum Ending
    {
        Expired,
        Canceled,
        CompletedByAnotherPayment,
    }

    private static readonly Gen<long> Amounts = Gen.OneOf(
        Gen.Constant(Asked),
        Gen.Choose(-2, 2).Select(d => Asked + d),
        Gen.Elements(0L, 1L, Asked * 100));

    private static readonly Gen<(Ending Ending, SessionType Type, SessionDialect Dialect)> Sessions =
        from ending in Gen.Elements(Enum.GetValues<Ending>())
        from type in Gen.Frequency((4, Gen.Constant(SessionType.Pay)), (1, Gen.Constant(SessionType.Save)))
        from dialect in Gen.Elements(SessionDialect.Payviox, SessionDialect.Xendit)
        select (ending, type, dialect);

    private static readonly Gen<(long Amount, string Currency)> Reports =
        from amount in Amounts
        from currency in Gen.Elements(AskedCurrency, "USD")
        select (amount, currency);

    private static readonly Gen<LatePaymentPolicy> Policies = Gen.Elements(Enum.GetValues<LatePaymentPolicy>());

    [Fact]
    public void A_late_payment_is_recorded_with_its_policy_and_handled_as_the_policy_and_figures_allow()
    {
        var property = Prop.ForAll(Arb.From(Sessions), Arb.From(Reports), Arb.From(Policies), (session, report, policy) =>
        {
            var state = Ended(session.Ending, session.Type, session.Dialect);
            var statusBefore = state.Status;
            var (outcome, events) = PaymentReports.DecideWithPolicy(state, Success(report.Amount, report.Currency), Now, policy);

            if (session.Type == SessionType.Save && report.Amount <= 0)
            {
                // A token saved after the end moved no money: nothing to handle.
                return outcome == PaymentReportOutcome.Ignored && events.Count == 0;
            }

            var late = Assert.IsType<LatePaymentReceived>(events[0]);
            var expected = Expected(session.Ending, session.Type, report.Amount, report.Currency, policy);
            Assert.Equal(PaymentReportOutcome.LatePaymentRecorded, outcome);
            Assert.Equal(policy, late.Policy);
            Assert.Equal(expected, late.Handling);
            Assert.Equal(report.Amount, late.Amount);
            Assert.Equal(Asked * (session.Type == SessionType.Save ? 0 : 1), late.ExpectedAmount);

            foreach (var e in events)
            {
                state.Apply(e);
            }

            switch (expected)
            {
                case LatePaymentPolicy.Accept:
                    var accepted = Assert.IsType<LatePaymentAccepted>(Assert.Single(events.Skip(1)));
                    Assert.Equal("pay_late", accepted.ProviderPaymentId);
                    Assert.Equal(session.Dialect == SessionDialect.Xendit, accepted.PaymentId is not null);
                    Assert.Equal(SessionStatus.Completed, state.Status);
                    Assert.Equal("pay_late", state.Payment!.ProviderPaymentId);
                    Assert.False(state.RefundRequired);
                    Assert.False(state.ManualReview);
                    Assert.Empty(state.Refunds);
                    break;
                case LatePaymentPolicy.Refund:
                    Assert.Single(events);
                    Assert.Equal(LatePaymentRules.RefundIdFor("acme", "pay_late"), late.RefundId);
                    Assert.Equal(statusBefore, state.Status);
                    Assert.True(state.RefundRequired);
                    Assert.False(state.ManualReview);
                    var refund = Assert.Single(state.Refunds);
                    Assert.Equal((LateRefundStatus.Pending, report.Amount, report.Currency), (refund.Status, refund.Amount, refund.Currency));
                    break;
                default:
                    Assert.Single(events);
                    Assert.Null(late.RefundId);
                    Assert.Equal(statusBefore, state.Status);
                    Assert.True(state.RefundRequired);
                    Assert.True(state.ManualReview);
                    Assert.Empty(state.Refunds);
                    break;
            }

            // The same payment reported again changes nothing, whatever the policy says by then.
            var (again, none) = PaymentReports.DecideWithPolicy(state, Success(report.Amount, report.Currency), Now, Other(policy));
            return again == PaymentReportOutcome.Duplicate && none.Count == 0;
        });

        Check.One(Config.QuickThrowOnFailure.WithMaxTest(400), property);
    }

    [Fact]
    public void A_refund_outcome_is_recorded_once_and_settles_the_flags()
    {
        var property = Prop.ForAll(Arb.From(Gen.Elements(true, false)), Arb.From(Gen.Elements<string?>(null, "", "payment not captured", new string('x', 1000))), (refunded, reason) =>
        {
            var state = Ended(Ending.Expired, SessionType.Pay, SessionDialect.Payviox);
            var (_, events) = PaymentReports.DecideWithPolicy(state, Success(Asked, AskedCurrency), Now, LatePaymentPolicy.Refund);
            state.Apply(Assert.Single(events));
            var refundId = state.Refunds.Single().RefundId;

            var (unknown, nothing) = LatePaymentRules.DecideRefund(state, new LateRefundReport("lrf_other", refunded, null, reason), Now);
            var (outcome, @event) = LatePaymentRules.DecideRefund(state, new LateRefundReport(refundId, refunded, refunded ? "re_1" : null, reason), Now);
            state.Apply(@event!);
            var (again, twice) = LatePaymentRules.DecideRefund(state, new LateRefundReport(refundId, !refunded, null, reason), Now);

            var settled = state.Refunds.Single();
            return unknown == LateRefundRecordOutcome.Unknown && nothing is null
                && outcome == LateRefundRecordOutcome.Recorded
                && again == LateRefundRecordOutcome.Duplicate && twice is null
                && state.Status == SessionStatus.Expired
                && (refunded
                    ? @event is LatePaymentRefunded { ProviderRefundId: "re_1", Amount: Asked } && settled.Status == LateRefundStatus.Refunded
                        && !state.RefundRequired && !state.ManualReview
                    : @event is LatePaymentRefundFailed f && f.Reason.Length is > 0 and <= LatePaymentRules.MaxReasonLength
                        && settled.Status == LateRefundStatus.Failed && state.RefundRequired && state.ManualReview);
        });

        Check.One(Config.QuickThrowOnFailure.WithMaxTest(50), property);
    }

    [Fact]
    public void The_refund_id_is_derived_from_the_payment_alone()
    {
        Assert.Equal(LatePaymentRules.RefundIdFor("sandbox", "sbxpay_1"), LatePaymentRules.RefundIdFor("sandbox", "sbxpay_1"));
        Assert.NotEqual(LatePaymentRules.RefundIdFor("sandbox", "sbxpay_1"), LatePaymentRules.RefundIdFor("sandbox", "sbxpay_2"));
        Assert.NotEqual(LatePaymentRules.RefundIdFor("sandbox", "sbxpay_1"), LatePaymentRules.RefundIdFor("acme", "sbxpay_1"));
        Assert.Matches("^lrf_[0-9a-f]{32}$", LatePaymentRules.RefundIdFor("sandbox", "sbxpay_1"));
    }

    // The rule written out: refund what was reported taken; accept only exactly what was asked,
    // on an expired or canceled PAY session; everything else waits for an operator.
    private static LatePaymentPolicy Expected(Ending ending, SessionType type, long amount, string currency, LatePaymentPolicy policy) => policy switch
    {
        LatePaymentPolicy.Refund when amount > 0 => LatePaymentPolicy.Refund,
        LatePaymentPolicy.Accept when ending != Ending.CompletedByAnotherPayment && type == SessionType.Pay && amount == Asked && currency == AskedCurrency
            => LatePaymentPolicy.Accept,
        _ => LatePaymentPolicy.Manual,
    };

    private static LatePaymentPolicy Other(LatePaymentPolicy policy) => (LatePaymentPolicy)(((int)policy + 1) % 3);

    private static ProviderPaymentReport Success(long amount, string currency) => new("acme", "ref_1", true, "pay_late", null, amount, currency);

    private static PaymentSessionState Ended(Ending ending, SessionType type, SessionDialect dialect)
    {
        var state = AttemptedSessions.With(
            Now, type == SessionType.Save ? 0 : Asked, AskedCurrency, dialect: dialect, type: type, method: "acme_card", provider: "acme", reference: "ref_1");
        state.Apply(ending switch
        {
            Ending.Expired => new Expired { EventId = Guid.NewGuid(), OccurredAt = Now },
            Ending.Canceled => new Canceled { EventId = Guid.NewGuid(), OccurredAt = Now },
            _ => new Completed
            {
                EventId = Guid.NewGuid(), OccurredAt = Now, Provider = "acme", ProviderReference = "ref_1", ProviderPaymentId = "pay_first",
                PaymentTokenId = type == SessionType.Save ? "ptkn-1" : null,
            },
        });
        return state;
    }
}
