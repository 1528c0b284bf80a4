using FsCheck;
using FsCheck.Fluent;
using PaySessions.Grains.Sessions;
using PaySessions.Grains.Sessions.Events;
using PaySessions.Tests.Infrastructure;

namespace PaySessions.Tests.Sessions;

/// <summary>
/// The money rule of provider reports, over every figure a provider could report: a success
/// completes an open session only in exactly the amount and currency its attempt asked for;
/// anything else, or anything after the end, is kept with both figures for refund.
/// </summary>
public sealed class PaymentReportDecisionProperties
{
    private const long Asked = 250000;
    private const string AskedCurrency = "EUR";
    private static readonly DateTimeOffset Now = new(2026, 12, 1, 10, 0, 0, TimeSpan.Zero);

    private static readonly Gen<long> Amounts = Gen.OneOf(
        Gen.Constant(Asked),
        Gen.Choose(-3, 3).Select(d => Asked + d),
        Gen.Elements(0L, 1L, long.MaxValue, Asked * 100),
        ArbMap.Default.GeneratorFor<long>().Where(a => a >= 0));

    private static readonly Gen<string> CurrenciesReported = Gen.Elements(AskedCurrency, "USD", "JPY", "GBP");

    [Fact]
    public void An_open_session_completes_only_in_the_figures_the_attempt_asked_for()
    {
        var property = Prop.ForAll(Arb.From(Amounts), Arb.From(CurrenciesReported), (amount, currency) =>
        {
            var (outcome, @event) = PaymentReports.Decide(OpenWithAttempt(), Success(amount, currency), Now);

            if (amount == Asked && currency == AskedCurrency)
            {
                return outcome == PaymentReportOutcome.Completed && @event is Completed;
            }

            return outcome == PaymentReportOutcome.MismatchRecorded
                && @event is PaymentMismatch m
                && m.Amount == amount && m.Currency == currency
                && m.ExpectedAmount == Asked && m.ExpectedCurrency == AskedCurrency
                && m.ProviderPaymentId == "pay_1" && m.ProviderReference == "ref_1";
        });

        Check.One(Config.QuickThrowOnFailure.WithMaxTest(300), property);
    }

    [Fact]
    public void A_mismatch_settles_the_attempt_keeps_the_session_open_and_is_recorded_once()
    {
        var property = Prop.ForAll(Arb.From(Amounts.Where(a => a != Asked)), Arb.From(CurrenciesReported), (amount, currency) =>
        {
            var state = OpenWithAttempt();
            var (_, first) = PaymentReports.Decide(state, Success(amount, currency), Now);
            state.Apply(first!);
            var (again, none) = PaymentReports.Decide(state, Success(amount, currency), Now);

            return state.IsOpen
                && state.RefundRequired
                && state.Attempts.Single().State == AttemptState.Mismatched
                && again == PaymentReportOutcome.Duplicate && none is null;
        });

        Check.One(Config.QuickThrowOnFailure.WithMaxTest(100), property);
    }

    [Fact]
    public void After_the_end_any_success_is_late_money_with_both_figures()
    {
        var property = Prop.ForAll(Arb.From(Amounts), Arb.From(CurrenciesReported), (amount, currency) =>
        {
            var state = OpenWithAttempt();
            state.Apply(new Canceled { EventId = Guid.NewGuid(), OccurredAt = Now });

            var (outcome, @event) = PaymentReports.Decide(state, Success(amount, currency), Now);

            return outcome == PaymentReportOutcome.LatePaymentRecorded
                && @event is LatePaymentReceived late
                && late.Amount == amount && late.Currency == currency
                && late.ExpectedAmount == Asked && late.ExpectedCurrency == AskedCurrency;
        });

        Check.One(Config.QuickThrowOnFailure.WithMaxTest(100), property);
    }

    [Fact]
    public void An_attempt_stored_without_figures_asked_for_the_sessions_own()
    {
        var state = OpenWithAttempt(withFigures: false);

        Assert.Equal(PaymentReportOutcome.Completed, PaymentReports.Decide(state, Success(Asked, AskedCurrency), Now).Outcome);
        Assert.Equal(PaymentReportOutcome.MismatchRecorded, PaymentReports.Decide(state, Success(1, "JPY"), Now).Outcome);
    }

    [Fact]
    public void A_success_that_names_no_figures_never_completes()
    {
        var (outcome, @event) = PaymentReports.Decide(OpenWithAttempt(), new ProviderPaymentReport("acme", "ref_1", true, "pay_1", null, null, null), Now);

        Assert.Equal(PaymentReportOutcome.MismatchRecorded, outcome);
        Assert.IsType<PaymentMismatch>(@event);
    }

    private static ProviderPaymentReport Success(long amount, string currency) => new("acme", "ref_1", true, "pay_1", null, amount, currency);

    private static PaymentSessionState OpenWithAttempt(bool withFigures = true) =>
        AttemptedSessions.With(Now, Asked, AskedCurrency, method: "acme_card", provider: "acme", reference: "ref_1", attemptCarriesFigures: withFigures);
}
