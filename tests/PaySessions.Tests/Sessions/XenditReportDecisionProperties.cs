using FsCheck;
using FsCheck.Fluent;
using PaySessions.Grains.Sessions;
using PaySessions.Grains.Sessions.Events;
using PaySessions.Tests.Infrastructure;

namespace PaySessions.Tests.Sessions;

/// <summary>
/// Provider reports on Xendit-dialect sessions, decided without a cluster: a SAVE session asks for
/// no money, so it completes only with a saved token and never keeps money (any amount reported
/// is a mismatch while open, a late payment after the end); a PAY session completes with its own
/// payment id beside the provider's.
/// </summary>
public sealed class XenditReportDecisionProperties
{
    private static readonly DateTimeOffset Now = new(2026, 12, 1, 10, 0, 0, TimeSpan.Zero);

    private static readonly Gen<long> Money = Gen.OneOf(Gen.Elements(1L, 100L, long.MaxValue), ArbMap.Default.GeneratorFor<long>().Where(a => a > 0));

    private static readonly Gen<string?> Tokens = Gen.Elements<string?>(null, "ptkn-8d1c5f3e-2b7a-4c61-9e0d-3f5a7b9c1d2e", "tok_x");

    [Fact]
    public void Money_on_a_save_session_never_completes_it_and_is_kept_for_refund()
    {
        var reports = from amount in Money
                      from currency in Gen.Elements("IDR", "USD")
                      from token in Tokens
                      select (amount, currency, token);
        var property = Prop.ForAll(Arb.From(reports), Arb.From(Gen.Elements(true, false)),
            (report, open) =>
            {
                var (amount, currency, token) = report;
                var state = SaveWithAttempt();
                if (!open)
                {
                    state.Apply(new Expired { EventId = Guid.NewGuid(), OccurredAt = Now });
                }

                var (outcome, @event) = PaymentReports.Decide(state, Report(amount, currency, token), Now);
                if (@event is not null)
                {
                    state.Apply(@event);
                }

                return open
                    ? outcome == PaymentReportOutcome.MismatchRecorded && @event is PaymentMismatch { ExpectedAmount: 0 } m
                        && m.Amount == amount && m.Currency == currency && state.IsOpen && state.RefundRequired
                    : outcome == PaymentReportOutcome.LatePaymentRecorded && @event is LatePaymentReceived l
                        && l.Amount == amount && state.RefundRequired;
            });

        Check.One(Config.QuickThrowOnFailure.WithMaxTest(200), property);
    }

    [Fact]
    public void A_save_session_completes_with_the_token_and_no_money_and_a_tokenless_success_fails_the_attempt()
    {
        foreach (var amount in new long?[] { null, 0 })
        {
            var saved = SaveWithAttempt();
            var (outcome, @event) = PaymentReports.Decide(saved, Report(amount, amount is null ? null : "IDR", "ptkn-1"), Now);
            saved.Apply(@event!);

            var tokenless = SaveWithAttempt();
            var (failed, failure) = PaymentReports.Decide(tokenless, Report(amount, null, null), Now);
            tokenless.Apply(failure!);

            Assert.Equal(PaymentReportOutcome.Completed, outcome);
            Assert.Equal("ptkn-1", saved.Payment!.PaymentTokenId);
            Assert.Null(saved.Payment.PaymentId);
            Assert.False(saved.RefundRequired);
            Assert.Equal(PaymentReportOutcome.FailureRecorded, failed);
            Assert.Equal("no_payment_token", Assert.IsType<PaymentFailed>(failure).Reason);
            Assert.True(tokenless.IsOpen);
        }
    }

    [Fact]
    public void A_token_saved_after_a_save_session_ended_changes_nothing_and_a_resent_token_is_a_duplicate()
    {
        var ended = SaveWithAttempt();
        ended.Apply(new Canceled { EventId = Guid.NewGuid(), OccurredAt = Now });
        var completed = SaveWithAttempt();
        completed.Apply(PaymentReports.Decide(completed, Report(null, null, "ptkn-1"), Now).Event!);

        Assert.Equal((PaymentReportOutcome.Ignored, null), PaymentReports.Decide(ended, Report(null, null, "ptkn-1"), Now));
        Assert.Equal((PaymentReportOutcome.Duplicate, null), PaymentReports.Decide(completed, Report(null, null, "ptkn-1"), Now));
    }

    [Fact]
    public void A_xendit_pay_session_completes_with_a_payment_id_of_its_own_and_a_payviox_one_without()
    {
        var xendit = WithAttempt(SessionDialect.Xendit, SessionType.Pay, 1000000, "PHP", "pr-0800fe40-bb79-47ae-9d1e-e69394d3949c");
        var payviox = WithAttempt(SessionDialect.Payviox, SessionType.Pay, 1000000, "PHP", null);

        xendit.Apply(PaymentReports.Decide(xendit, Report(1000000, "PHP", null), Now).Event!);
        payviox.Apply(PaymentReports.Decide(payviox, Report(1000000, "PHP", null), Now).Event!);

        Assert.Matches("^py-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$", xendit.Payment!.PaymentId);
        Assert.Equal("pr-0800fe40-bb79-47ae-9d1e-e69394d3949c", xendit.Payment.PaymentRequestId);
        Assert.Equal("sbxpay_1", xendit.Payment.ProviderPaymentId);
        Assert.Null(payviox.Payment!.PaymentId);
        Assert.Null(payviox.Payment.PaymentRequestId);
    }

    private static ProviderPaymentReport Report(long? amount, string? currency, string? token) =>
        new("sandbox", "sbx_ref", true, token is null || amount is > 0 ? "sbxpay_1" : null, null, amount, currency, token);

    private static PaymentSessionState SaveWithAttempt() => WithAttempt(SessionDialect.Xendit, SessionType.Save, 0, "IDR", null);

    private static PaymentSessionState WithAttempt(SessionDialect dialect, SessionType type, long amount, string currency, string? paymentRequestId) =>
        AttemptedSessions.With(Now, amount, currency, dialect, type, paymentRequestId: paymentRequestId);
}
