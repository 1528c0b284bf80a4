using FsCheck;
using FsCheck.Fluent;
using PaySessions.Api.HostedPage;

namespace PaySessions.Tests.HostedPage;

/// <summary>Money and language on the page, without a host: pure functions.</summary>
public sealed class MoneyTextTests
{
    [Theory]
    [InlineData(12345, "USD", PageLanguage.English, "$123.45")]
    [InlineData(12345, "USD", PageLanguage.Indonesian, "US$123,45")]
    [InlineData(15000000, "IDR", PageLanguage.Indonesian, "Rp150.000")]
    [InlineData(15000000, "IDR", PageLanguage.English, "Rp150,000")]
    [InlineData(15000050, "IDR", PageLanguage.Indonesian, "Rp150.000,50")]
    [InlineData(123456789, "EUR", PageLanguage.English, "€1,234,567.89")]
    [InlineData(5000, "JPY", PageLanguage.English, "¥5,000")]
    [InlineData(1234567, "KWD", PageLanguage.English, "1,234.567 KWD")]
    [InlineData(0, "USD", PageLanguage.English, "$0.00")]
    public void Minor_units_read_as_a_customer_expects(long minor, string currency, PageLanguage language, string expected)
    {
        Assert.Equal(expected, MoneyText.FromMinor(minor, currency, language));
    }

    [Fact]
    public void Every_amount_reads_back_to_exactly_its_minor_units()
    {
        // Whatever the amount and language, the digits shown are the minor units, with the
        // currency's decimals (IDR: none when whole), never rounded.
        var property = Prop.ForAll(
            Arb.From(
                from minor in Gen.OneOf(
                    Gen.Choose(0, int.MaxValue).Select(n => (long)n),
                    from high in Gen.Choose(0, int.MaxValue)
                    from low in Gen.Choose(0, int.MaxValue)
                    select ((long)high << 32) | (uint)low,
                    Gen.Elements(0L, 1L, 99L, 100L, 999_999L, long.MaxValue))
                from currency in Gen.Elements("USD", "IDR", "JPY", "KWD", "EUR", "CHF")
                from language in Gen.Elements(PageLanguage.English, PageLanguage.Indonesian)
                select (minor, currency, language)),
            input =>
            {
                var (minor, currency, language) = input;
                var text = MoneyText.FromMinor(minor, currency, language);
                var decimalMark = language == PageLanguage.Indonesian ? ',' : '.';
                var digits = new string([.. text.Where(char.IsAsciiDigit)]);
                var mark = text.LastIndexOf(decimalMark);
                var shownDecimals = mark < 0 ? 0 : text[(mark + 1)..].TakeWhile(char.IsAsciiDigit).Count();
                var exponent = PaySessions.Grains.Money.Currencies.Exponent(currency)!.Value;
                var scaled = decimal.Parse(digits, System.Globalization.CultureInfo.InvariantCulture);
                for (var i = shownDecimals; i < exponent; i++)
                {
                    scaled *= 10;
                }

                return scaled == minor && (shownDecimals == exponent || (currency == "IDR" && shownDecimals == 0));
            });

        Check.One(Config.QuickThrowOnFailure.WithMaxTest(500), property);
    }

    [Theory]
    [InlineData("id-ID,id;q=0.9,en;q=0.8", PageLanguage.Indonesian)]
    [InlineData("en;q=0.5, id;q=0.9", PageLanguage.Indonesian)]
    [InlineData("in", PageLanguage.Indonesian)]
    [InlineData("id;q=0, en", PageLanguage.English)]
    [InlineData("de-DE, fr", PageLanguage.English)]
    [InlineData("", PageLanguage.English)]
    [InlineData(";;;,,", PageLanguage.English)]
    public void The_browsers_first_language_that_the_page_speaks_wins(string header, PageLanguage expected)
    {
        Assert.Equal(expected, PageText.FromAcceptLanguage(header));
    }

    [Fact]
    public void Every_text_exists_in_both_languages_and_differs_in_indonesian()
    {
        var english = Texts("PageText.resx");
        var indonesian = Texts("PageText.id.resx");

        Assert.Equal(english.Keys.Order(), indonesian.Keys.Order());
        foreach (var key in english.Keys)
        {
            Assert.Equal(english[key], PageText.For(PageLanguage.English)[key]);
            Assert.Equal(indonesian[key], PageText.For(PageLanguage.Indonesian)[key]);
        }
    }

    private static Dictionary<string, string> Texts(string file)
    {
        var path = Path.Combine(RepositoryRoot(), "Api", "HostedPage", file);
        var document = System.Xml.Linq.XDocument.Load(path);
        return document.Root!.Elements("data").ToDictionary(d => d.Attribute("name")!.Value, d => d.Element("value")!.Value);
    }

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "PaySessions.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("The repository root was not found above " + AppContext.BaseDirectory);
    }
}
