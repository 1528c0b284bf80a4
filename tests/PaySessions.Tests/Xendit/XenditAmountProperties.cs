using System.Globalization;
using System.Numerics;
using System.Text.Json;
using FsCheck;
using FsCheck.Fluent;
using PaySessions.Api.Xendit;

namespace PaySessions.Tests.Xendit;

/// <summary>
/// Xendit amounts are JSON numbers in major units, read exactly into minor units with the
/// currency's decimals: every spelling of a value is the same amount, nothing is rounded, and
/// the answer agrees with big-integer arithmetic over the number's digits.
/// </summary>
public sealed class XenditAmountProperties
{
    private static readonly Gen<string> Currencies = Gen.Elements(XenditAmounts.Decimals.Keys.ToArray());

    private static readonly Gen<long> MinorUnits = Gen.OneOf(
        Gen.Choose(0, 1_000_000).Select(i => (long)i),
        ArbMap.Default.GeneratorFor<long>().Select(l => l == long.MinValue ? 0 : Math.Abs(l)),
        Gen.Elements(0L, 1L, 99L, 100L, long.MaxValue));

    [Fact]
    public void Every_spelling_of_an_amount_reads_back_as_the_same_minor_units()
    {
        var property = Prop.ForAll(Arb.From(MinorUnits), Arb.From(Currencies), (minor, currency) =>
        {
            var decimals = XenditAmounts.Decimals[currency];
            var major = XenditAmounts.ToMajor(minor, currency).ToString(CultureInfo.InvariantCulture);
            string[] spellings =
            [
                major,
                major.Contains('.', StringComparison.Ordinal) ? major + "00" : major + ".000",
                $"{minor}e-{decimals}",
                minor == 0 ? "0E-3" : $"{minor}0E-{decimals + 1}",
            ];

            return spellings.All(text => Parse(text, currency) == (AmountProblem.None, minor));
        });

        Check.One(Config.QuickThrowOnFailure.WithMaxTest(500), property);
    }

    [Fact]
    public void Any_json_number_is_read_as_big_integer_arithmetic_says_never_rounded()
    {
        var numbers =
            from negative in Gen.Frequency((6, Gen.Constant(false)), (1, Gen.Constant(true)))
            from integer in Gen.OneOf(Gen.Choose(0, 100_000).Select(i => i.ToString(CultureInfo.InvariantCulture)), ArbMap.Default.GeneratorFor<ulong>().Select(u => u.ToString(CultureInfo.InvariantCulture)))
            from fractionLength in Gen.Choose(0, 4)
            from fraction in Gen.ArrayOf(Gen.Choose(0, 9), fractionLength)
            from exponent in Gen.Frequency((3, Gen.Constant<int?>(null)), (1, Gen.Choose(-25, 25).Select(e => (int?)e)))
            select (negative ? "-" : "") + integer + (fractionLength > 0 ? "." + string.Concat(fraction) : "") + (exponent is { } x ? "e" + x.ToString(CultureInfo.InvariantCulture) : "");

        var property = Prop.ForAll(Arb.From(numbers), Arb.From(Currencies), (text, currency) =>
            Parse(text, currency) == Oracle(text, XenditAmounts.Decimals[currency]));

        Check.One(Config.QuickThrowOnFailure.WithMaxTest(1000), property);
    }

    [Theory]
    [InlineData("10000", "IDR", 10000L)]
    [InlineData("10000.00", "IDR", 10000L)]
    [InlineData("1e4", "VND", 10000L)]
    [InlineData("100.5", "PHP", 10050L)]
    [InlineData("0.01", "USD", 1L)]
    [InlineData("0", "IDR", 0L)]
    [InlineData("-0", "PHP", 0L)]
    [InlineData("-0.00e5", "USD", 0L)]
    [InlineData("92233720368547758.07", "USD", long.MaxValue)]
    public void Seed_amounts_and_edges_are_exact(string text, string currency, long minor)
    {
        Assert.Equal((AmountProblem.None, minor), Parse(text, currency));
    }

    [Theory]
    [InlineData("100.5", "IDR", AmountProblem.TooManyDecimals)]
    [InlineData("1.005", "USD", AmountProblem.TooManyDecimals)]
    [InlineData("1e-400", "PHP", AmountProblem.TooManyDecimals)]
    [InlineData("-1", "IDR", AmountProblem.Negative)]
    [InlineData("-0.01", "USD", AmountProblem.Negative)]
    [InlineData("1e400", "IDR", AmountProblem.TooLarge)]
    [InlineData("92233720368547758.08", "USD", AmountProblem.TooLarge)]
    [InlineData("1e99999999999999999999", "IDR", AmountProblem.TooLarge)]
    [InlineData("1e-99999999999999999999", "IDR", AmountProblem.TooManyDecimals)]
    [InlineData("\"10000\"", "IDR", AmountProblem.NotANumber)]
    [InlineData("true", "IDR", AmountProblem.NotANumber)]
    public void Amounts_that_cannot_be_money_are_refused_not_rounded(string text, string currency, AmountProblem problem)
    {
        Assert.Equal(problem, Parse(text, currency).Problem);
    }

    private static (AmountProblem Problem, long Minor) Parse(string json, string currency)
    {
        using var document = JsonDocument.Parse(json);
        var problem = XenditAmounts.TryParse(document.RootElement, currency, out var minor);
        return (problem, minor);
    }

    // Independent of the parser: the value as a big integer times a power of ten.
    private static (AmountProblem, long) Oracle(string text, int decimals)
    {
        var negative = text.StartsWith('-');
        var body = negative ? text[1..] : text;
        var exponent = 0;
        if (body.IndexOf('e', StringComparison.Ordinal) is var e and >= 0)
        {
            exponent = int.Parse(body[(e + 1)..], CultureInfo.InvariantCulture);
            body = body[..e];
        }

        var parts = body.Split('.');
        var fraction = parts.Length > 1 ? parts[1] : "";
        var digits = BigInteger.Parse(parts[0] + fraction, CultureInfo.InvariantCulture);
        var scale = exponent - fraction.Length + decimals;
        if (digits.IsZero)
        {
            return (AmountProblem.None, 0);
        }

        if (negative)
        {
            return (AmountProblem.Negative, 0);
        }

        BigInteger minor;
        if (scale >= 0)
        {
            minor = digits * BigInteger.Pow(10, scale);
        }
        else
        {
            var unit = BigInteger.Pow(10, -scale);
            if (!(digits % unit).IsZero)
            {
                return (AmountProblem.TooManyDecimals, 0);
            }

            minor = digits / unit;
        }

        return minor > long.MaxValue ? (AmountProblem.TooLarge, 0) : (AmountProblem.None, (long)minor);
    }
}
