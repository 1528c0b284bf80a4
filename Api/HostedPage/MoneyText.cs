using System.Globalization;
using PaySessions.Grains.Money;

namespace PaySessions.Api.HostedPage;

/// <summary>
/// Money as a customer reads it: <c>$123.45</c> for 12345 USD minor units in English,
/// <c>Rp150.000</c> for IDR in Indonesian. Formatted here from the exact amount (never through a
/// double, never through the machine's culture data, which this service runs without), with the
/// separators of the page's language and a symbol per currency.
/// </summary>
public static class MoneyText
{
    // Currencies whose amounts customers see without decimals although ISO 4217 gives them two:
    // the decimals are shown only when the amount really has a fraction (money is never hidden).
    private static readonly HashSet<string> WholeByCustom = new(StringComparer.Ordinal) { "IDR" };

    private static readonly Dictionary<string, string> Symbols = new(StringComparer.Ordinal)
    {
        ["USD"] = "$",
        ["EUR"] = "€",
        ["GBP"] = "£",
        ["JPY"] = "¥",
        ["IDR"] = "Rp",
        ["PHP"] = "₱",
        ["SGD"] = "S$",
        ["MYR"] = "RM",
        ["THB"] = "฿",
        ["VND"] = "₫",
    };

    /// <summary><paramref name="minor"/> units of <paramref name="currency"/> (ISO 4217 exponent) in <paramref name="language"/>.</summary>
    public static string FromMinor(long minor, string currency, PageLanguage language)
    {
        var exponent = Currencies.Exponent(currency) ?? 2;
        var major = minor / Pow10(exponent);
        return FromMajor(major, currency, exponent, language);
    }

    /// <summary>An amount in major units held exactly (the Xendit dialect's <c>amount</c> as sent).</summary>
    public static string FromMajor(decimal major, string currency, int exponent, PageLanguage language)
    {
        var decimals = WholeByCustom.Contains(currency) && major == decimal.Truncate(major) ? 0 : exponent;
        var digits = decimal.Abs(major).ToString("F" + decimals.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
        var point = digits.IndexOf('.', StringComparison.Ordinal);
        var whole = point < 0 ? digits : digits[..point];
        var fraction = point < 0 ? "" : digits[(point + 1)..];

        var (group, decimalMark) = language == PageLanguage.Indonesian ? ('.', ',') : (',', '.');
        var grouped = new System.Text.StringBuilder(whole.Length + (whole.Length / 3));
        for (var i = 0; i < whole.Length; i++)
        {
            if (i > 0 && (whole.Length - i) % 3 == 0)
            {
                grouped.Append(group);
            }

            grouped.Append(whole[i]);
        }

        var number = fraction.Length == 0 ? grouped.ToString() : grouped.Append(decimalMark).Append(fraction).ToString();
        var sign = major < 0 ? "-" : "";
        return Symbol(currency, language) is { } symbol ? sign + symbol + number : sign + number + " " + currency;
    }

    private static string? Symbol(string currency, PageLanguage language) =>
        // Indonesian pages write the US dollar as "US$", as the CLDR data for "id" does.
        currency == "USD" && language == PageLanguage.Indonesian ? "US$" : Symbols.GetValueOrDefault(currency);

    private static decimal Pow10(int exponent)
    {
        var result = 1m;
        for (var i = 0; i < exponent; i++)
        {
            result *= 10;
        }

        return result;
    }
}
