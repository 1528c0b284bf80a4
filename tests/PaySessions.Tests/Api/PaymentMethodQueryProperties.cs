using System.Globalization;
using FsCheck;
using FsCheck.Fluent;
using PaySessions.Api.Sessions;

namespace PaySessions.Tests.Api;

/// <summary>
/// The filters of <c>GET /payments/methods</c> over their input space: lists of codes valid and
/// not, in any case, with blanks and empty entries, under and over the 200-entry limit, and any
/// <c>is_company</c> text. The oracle below knows its codes from the standards, not from the
/// service's own tables.
/// </summary>
public sealed class PaymentMethodQueryProperties
{
    private static readonly string[] GoodCountries = ["US", "GB", "FR", "DE", "BR", "PL", "ID", "JP", "AX", "ZW"];
    private static readonly string[] BadCountries = ["XX", "UK", "EU", "XK", "ZZ", "A", "USA", "1", "U$", "ÜS"];
    private static readonly string[] GoodCurrencies = ["USD", "EUR", "JPY", "KWD", "IDR", "PLN", "BRL"];
    private static readonly string[] BadCurrencies = ["ABC", "XTS", "XXX", "HRK", "US", "EURO", "U5D"];

    [Fact]
    public void Country_and_currency_lists_are_read_exactly_as_the_rules_say()
    {
        var property = Prop.ForAll(
            Arb.From(Lists(GoodCountries, BadCountries)),
            Arb.From(Lists(GoodCurrencies, BadCurrencies)),
            (countries, currencies) =>
            {
                var parsed = PaymentMethodQuery.Parse(countries.Text, currencies.Text, null);

                var (countryCodes, countryErrors) = Expected("countries", countries.Entries, GoodCountries, "a valid ISO 3166-1 alpha-2 country code");
                var (currencyCodes, currencyErrors) = Expected("currencies", currencies.Entries, GoodCurrencies, "a valid ISO 4217 currency code");
                var errors = countryErrors.Concat(currencyErrors).ToDictionary(e => e.Key, e => e.Value);

                return parsed.IsValid == (errors.Count == 0)
                    && parsed.Errors.Count == errors.Count
                    && errors.All(e => parsed.Errors.TryGetValue(e.Key, out var messages) && messages.SequenceEqual([e.Value]))
                    && (!parsed.IsValid || (parsed.Countries.SequenceEqual(countryCodes) && parsed.Currencies.SequenceEqual(currencyCodes)));
            });

        Check.One(Config.QuickThrowOnFailure.WithMaxTest(300), property);
    }

    [Fact]
    public void Is_company_is_true_false_one_or_zero_in_any_case_and_false_when_absent()
    {
        var texts = Gen.OneOf(
            Gen.Elements<string?>(null, "", "true", "false", "1", "0", "TRUE", "False", " true ", "yes", "no", "2", "t", "01", "truee"),
            ArbMap.Default.GeneratorFor<string>().Select(s => (string?)s));
        var property = Prop.ForAll(Arb.From(texts), text =>
        {
            var parsed = PaymentMethodQuery.Parse(null, null, text);
            var word = text?.Trim().ToLowerInvariant();
            bool? expected = string.IsNullOrEmpty(text) ? false
                : word is "true" or "1" ? true
                : word is "false" or "0" ? false
                : null;

            return expected is { } value
                ? parsed.IsValid && parsed.IsCompany == value
                : !parsed.IsValid && parsed.Errors.Keys.SequenceEqual(["is_company"]);
        });

        Check.One(Config.QuickThrowOnFailure.WithMaxTest(300), property);
    }

    [Fact]
    public void Any_text_is_answered_with_filters_or_field_errors_never_an_exception()
    {
        var texts = Gen.OneOf(
            ArbMap.Default.GeneratorFor<string>(),
            Gen.ArrayOf(Gen.Elements("US", "us", ",", " ", "", "X", "\u0130", "\0", "EUR", ",,")).Select(parts => string.Concat(parts)));
        var property = Prop.ForAll(Arb.From(texts), Arb.From(texts), Arb.From(texts), (countries, currencies, company) =>
        {
            var parsed = PaymentMethodQuery.Parse(countries, currencies, company);
            return parsed.Errors.Keys.All(key =>
                key is "countries" or "currencies" or "is_company"
                || key.StartsWith("countries.", StringComparison.Ordinal)
                || key.StartsWith("currencies.", StringComparison.Ordinal));
        });

        Check.One(Config.QuickThrowOnFailure.WithMaxTest(500), property);
    }

    [Fact]
    public void The_service_knows_every_assigned_country_code()
    {
        Assert.Equal(249, PaySessions.Grains.Money.Countries.Count);
        Assert.All(GoodCountries, c => Assert.True(PaySessions.Grains.Money.Countries.IsKnown(c)));
        Assert.All(BadCountries, c => Assert.False(PaySessions.Grains.Money.Countries.IsKnown(c)));
    }

    // A list as sent: entries good, bad, in other case, padded, empty or blank; often near the limit.
    private static Gen<(string[] Entries, string? Text)> Lists(string[] good, string[] bad)
    {
        var entry = Gen.Frequency(
            (8, Gen.Elements(good)),
            (2, Gen.Elements(good).Select(c => c.ToLowerInvariant())),
            (1, Gen.Elements(good).Select(c => " " + c + " ")),
            (2, Gen.Elements(bad)),
            (1, Gen.Elements("", " ")));
        var length = Gen.Frequency((3, Gen.Choose(0, 6)), (1, Gen.Choose(195, 206)));
        return from count in length
               from entries in Gen.ArrayOf(entry, count)
               from absent in Gen.Elements(true, false, false, false)
               select count == 0 && absent ? (entries, (string?)null) : (entries, string.Join(',', entries));
    }

    private static (List<string> Codes, Dictionary<string, string> Errors) Expected(string field, string[] entries, string[] good, string what)
    {
        var codes = new List<string>();
        var errors = new Dictionary<string, string>();
        if (entries.Count(e => e.Trim().Length > 0) > 200)
        {
            errors[field] = $"The {field} field must not have more than 200 items.";
            return (codes, errors);
        }

        for (var i = 0; i < entries.Length; i++)
        {
            var code = entries[i].Trim().ToUpperInvariant();
            if (code.Length == 0)
            {
                continue;
            }

            if (good.Contains(code))
            {
                codes.Add(code);
            }
            else
            {
                var path = field + "." + i.ToString(CultureInfo.InvariantCulture);
                errors[path] = $"The {path} field must be {what}.";
            }
        }

        return (codes, errors);
    }
}
