using FsCheck;
using FsCheck.Fluent;
using PaySessions.Grains.Sessions;
using PaySessions.Tests.Infrastructure;

namespace PaySessions.Tests.Sessions;

/// <summary>
/// The rules of money and time every new session is held to, whichever dialect asked: each
/// refusal names its field and rule, so a dialect can word it without judging it again.
/// </summary>
public sealed class MoneyRulesProperties
{
    private static readonly DateTimeOffset Now = new(2026, 12, 1, 10, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset Later = Now.AddHours(1);

    private static readonly Gen<LineItem> Items =
        from quantity in Gen.OneOf(Gen.Choose(-1, 5).Select(q => (long)q), Gen.Elements(1_000_000L, long.MaxValue))
        from price in Gen.OneOf(Gen.Choose(-1, 20_000).Select(p => (long)p), Gen.Elements(999_999_999_999L, long.MaxValue))
        select new LineItem("item", quantity, price);

    [Fact]
    public void Items_are_refused_exactly_when_they_do_not_add_up_to_the_amount_without_overflow()
    {
        var cases =
            from count in Gen.Choose(1, 4)
            from items in Gen.ListOf(Items, count)
            from amount in Gen.OneOf(Gen.Constant(TotalOrOne(items)), Gen.Choose(1, 40_000).Select(a => (long)a))
            select (items, amount);

        var property = Prop.ForAll(Arb.From(cases), c =>
        {
            var violation = MoneyRules.Check(Command() with { Items = c.items, Amount = c.amount }, Now, Later);
            var addsUp = Exact(c.items) is { } total && total == c.amount;
            return addsUp
                ? violation is null
                : violation == new SessionRuleViolation(SessionField.Amount, SessionRule.ItemsTotalMismatch, violation!.Message);
        });

        Check.One(Config.QuickThrowOnFailure.WithMaxTest(500), property);
    }

    [Theory]
    [InlineData("XYZ")]
    [InlineData("usd")]
    [InlineData("")]
    [InlineData("XTS")]
    public void A_code_that_is_not_a_current_currency_is_refused_on_currency(string currency)
    {
        var violation = MoneyRules.Check(Command() with { Currency = currency }, Now, Later);

        Assert.Equal((SessionField.Currency, SessionRule.UnknownCurrency), (violation!.Field, violation.Rule));
    }

    [Fact]
    public void A_pay_session_collects_more_than_nothing_and_a_save_session_exactly_nothing()
    {
        var property = Prop.ForAll(Arb.From(Gen.Choose(-5, 5).Select(a => (long)a)), Arb.From(Gen.Elements(SessionType.Pay, SessionType.Save)), (amount, type) =>
        {
            var violation = MoneyRules.Check(Command() with { Amount = amount, Items = [], SessionType = type }, Now, Later);
            var expected = amount < 0 || (type == SessionType.Pay && amount == 0) ? SessionRule.AmountNotPositive
                : type == SessionType.Save && amount != 0 ? SessionRule.AmountNotZero
                : (SessionRule?)null;
            return violation?.Rule == expected && (violation is null || violation.Field == SessionField.Amount);
        });

        Check.One(Config.QuickThrowOnFailure.WithMaxTest(200), property);
    }

    [Fact]
    public void A_session_must_expire_after_it_is_created()
    {
        Assert.Equal(SessionRule.ExpiryNotInFuture, MoneyRules.Check(Command(), Now, Now)!.Rule);
        Assert.Equal(SessionField.ExpiresAt, MoneyRules.Check(Command(), Now, Now.AddTicks(-1))!.Field);
        Assert.Null(MoneyRules.Check(Command(), Now, Now.AddTicks(1)));
    }

    [Theory]
    [InlineData("", "order", "cust", SessionField.Business)]
    [InlineData("biz", "", "cust", SessionField.OrderId)]
    [InlineData("biz", "order", "", SessionField.Customer)]
    public void An_empty_owner_reference_or_customer_is_refused_on_its_field(string business, string order, string customer, SessionField field)
    {
        var violation = MoneyRules.Check(Command() with { BusinessId = business, OrderId = order, Customer = customer }, Now, Later);

        Assert.Equal((field, SessionRule.Required), (violation!.Field, violation.Rule));
    }

    private static CreateSession Command() => TestSessions.Command(TestSessions.NewBusiness());

    private static long TotalOrOne(IReadOnlyList<LineItem> items) => Exact(items) ?? 1;

    // Written apart from LineItem.Total: big-integer sums never overflow, so the property checks it.
    private static long? Exact(IEnumerable<LineItem> items)
    {
        System.Numerics.BigInteger total = 0;
        foreach (var item in items)
        {
            if (item.Quantity < 1 || item.Price < 1)
            {
                return null;
            }

            total += (System.Numerics.BigInteger)item.Quantity * item.Price;
        }

        return total <= long.MaxValue ? (long)total : null;
    }
}
