using System.Numerics;
using Microsoft.Extensions.Configuration;
using FsCheck;
using FsCheck.Fluent;
using PaySessions.Grains.Payments;
using PaySessions.Grains.Sessions;
using PaySessions.Grains.Sessions.Events;
using PaySessions.Tests.Infrastructure;

namespace PaySessions.Tests.Payments;

/// <summary>
/// What a payment costs, over every amount a session may have and every schedule the catalogue
/// accepts, against an oracle in whole-number arithmetic: the static fee of the payment's
/// currency plus the percent part rounded half away from zero; never negative, never above the
/// amount plus the static fee. And when it is decided: once, at completion, for money only.
/// </summary>
public sealed class PaymentFeeProperties
{
    private const long MaxAmount = 999_999_999_999;
    private static readonly DateTimeOffset Now = new(2026, 12, 1, 10, 0, 0, TimeSpan.Zero);

    // A fraction from 0 to 1 as numerator / 10^digits, so the oracle can stay in integers.
    private static readonly Gen<(long Numerator, int Digits)> Fractions =
        from digits in Gen.Elements(0, 2, 3, 4, 6)
        from numerator in Gen.OneOf(Gen.Elements(0L, (long)Math.Pow(10, digits)), Gen.Choose(0, (int)Math.Pow(10, Math.Min(digits, 6))).Select(n => (long)n))
        select (numerator, digits);

    private static readonly Gen<long> Amounts = Gen.OneOf(
        Gen.Elements(0L, 1L, 50L, 100L, 1050L, MaxAmount),
        Gen.Choose(0, 100_000).Select(a => (long)a),
        ArbMap.Default.GeneratorFor<long>().Select(a => Math.Abs(a % (MaxAmount + 1))));

    [Fact]
    public void The_fee_is_the_static_fee_plus_the_percent_part_rounded_half_away_from_zero()
    {
        var cases = from amount in Amounts
                    from fraction in Fractions
                    from staticFee in Gen.OneOf(Gen.Constant(0L), Gen.Choose(0, 1_000_000).Select(f => (long)f))
                    from currency in Gen.Elements("USD", "EUR", "JPY")
                    select (amount, fraction, staticFee, currency);
        var property = Prop.ForAll(Arb.From(cases), c =>
        {
            var (amount, (numerator, digits), staticFee, currency) = c;
            var percent = numerator / (decimal)BigInteger.Pow(10, digits);
            var schedule = new FeeSchedule(new Dictionary<string, long> { ["USD"] = staticFee, ["EUR"] = staticFee + 1 }, percent);

            var fee = PaymentFees.Compute(schedule, amount, currency);

            var staticPart = currency switch { "USD" => staticFee, "EUR" => staticFee + 1, _ => 0 };
            // Half away from zero for a non-negative x = n / d: floor((2n + d) / 2d).
            var scale = BigInteger.Pow(10, digits);
            var percentPart = (2 * (BigInteger)amount * numerator + scale) / (2 * scale);
            return fee == staticPart + (long)percentPart && fee >= 0 && fee <= amount + staticPart;
        });

        Check.One(Config.QuickThrowOnFailure.WithMaxTest(1000), property);
    }

    [Theory]
    [InlineData(1050, "0.01", 11)]
    [InlineData(1150, "0.01", 12)]
    [InlineData(1049, "0.01", 10)]
    [InlineData(1050, "0.029", 30)]
    [InlineData(0, "0.5", 0)]
    [InlineData(1, "0.5", 1)]
    public void Halves_round_up_the_rest_to_the_nearest_minor_unit(long amount, string percent, long fee) =>
        Assert.Equal(fee, PaymentFees.Compute(new FeeSchedule(new Dictionary<string, long>(), decimal.Parse(percent, System.Globalization.CultureInfo.InvariantCulture)), amount, "USD"));

    [Fact]
    public void A_completion_records_the_fee_of_its_attempts_method_amount_and_currency_from_the_regular_schedule()
    {
        var state = WithAttempt(SessionType.Pay, 1050, "USD");

        var (outcome, @event) = PaymentReports.Decide(state, Report(1050, "USD"), Now, new Schedules());

        Assert.Equal(PaymentReportOutcome.Completed, outcome);
        Assert.Equal(30 + 30, Assert.IsType<Completed>(@event).Fees);
    }

    [Fact]
    public void A_save_session_moves_no_money_and_records_no_fee()
    {
        var state = WithAttempt(SessionType.Save, 0, "IDR");

        var (outcome, @event) = PaymentReports.Decide(state, new ProviderPaymentReport("sandbox", "sbx_ref", true, null, null, null, null, "ptkn-1"), Now, new Schedules());

        Assert.Equal(PaymentReportOutcome.Completed, outcome);
        Assert.Null(Assert.IsType<Completed>(@event).Fees);
    }

    [Fact]
    public void A_method_the_catalogue_no_longer_lists_records_no_fee()
    {
        var state = WithAttempt(SessionType.Pay, 1050, "USD", method: "gone_card");

        var (_, @event) = PaymentReports.Decide(state, Report(1050, "USD"), Now, new Schedules());

        Assert.Null(Assert.IsType<Completed>(@event).Fees);
    }

    [Theory]
    [InlineData("Countries:0", "XX", "is not an ISO 3166-1 alpha-2 country code")]
    [InlineData("Currencies:0", "ABC", "is not a current ISO 4217 currency code")]
    [InlineData("Fees:Percent", "1.5", "Fees:Percent must be a fraction from 0 to 1")]
    [InlineData("Fees:Company:Percent", "-0.1", "Fees:Company:Percent must be a fraction from 0 to 1")]
    [InlineData("Fees:Static:USD", "-1", "Fees:Static:USD must be from 0")]
    [InlineData("Fees:Static:XYZ", "5", "'XYZ' is not a current ISO 4217 currency code")]
    [InlineData("Image", "ftp://cdn.example/x.png", "Image must be an absolute http(s) URL")]
    public void A_catalogue_entry_a_merchant_could_not_trust_is_refused_at_start_up(string key, string value, string message)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["0:Id"] = "card", ["0:Provider"] = "sandbox", [$"0:{key}"] = value })
            .Build();
        var options = new PaymentMethodCatalogOptions();
        configuration.Bind(options.Methods);

        var result = new PaymentMethodCatalogOptionsValidator().Validate(null, options);

        Assert.True(result.Failed);
        Assert.Contains(message, result.FailureMessage, StringComparison.Ordinal);
    }

    private static ProviderPaymentReport Report(long amount, string currency) => new("sandbox", "sbx_ref", true, "sbxpay_1", null, amount, currency);

    private static PaymentSessionState WithAttempt(SessionType type, long amount, string currency, string method = "card") =>
        AttemptedSessions.With(Now, amount, currency, type == SessionType.Save ? SessionDialect.Xendit : SessionDialect.Payviox, type, method);

    // The schedules of one method: 2.9 % + 30 cents, and a cheaper company schedule a completion
    // must not use (no session fact says its customer is a company).
    private sealed class Schedules : IFeeSchedules
    {
        public FeeSchedule? ScheduleOf(string paymentMethodId, bool isCompany) =>
            paymentMethodId != "card" ? null
            : isCompany ? new FeeSchedule(new Dictionary<string, long>(), 0.001m)
            : new FeeSchedule(new Dictionary<string, long> { ["USD"] = 30, ["IDR"] = 2000 }, 0.029m);
    }
}
