using System.Collections.Frozen;
using System.Globalization;
using System.Text.Json;

namespace PaySessions.Api.Xendit;

/// <summary>Why a Xendit amount could not be taken.</summary>
public enum AmountProblem
{
    None = 0,

    /// <summary>Not a JSON number (a string, a boolean, …): API_VALIDATION_ERROR at <c>/body/amount</c>.</summary>
    NotANumber = 1,

    /// <summary>Below 0: API_VALIDATION_ERROR at <c>/body/amount</c> (the seed's minimum is 0).</summary>
    Negative = 2,

    /// <summary>More decimal places than the currency has: INVALID_AMOUNT.</summary>
    TooManyDecimals = 3,

    /// <summary>More minor units than a long holds: API_VALIDATION_ERROR at <c>/body/amount</c>.</summary>
    TooLarge = 4,
}

/// <summary>
/// Xendit sends amounts as JSON numbers in major units (<c>10000</c> IDR, <c>100.50</c> PHP). They
/// are read exactly from the number's text into integer minor units, never through a double:
/// <c>0.1 + 0.2</c> kinds of error cannot reach money. Any JSON spelling of the same value is the
/// same amount (<c>100</c>, <c>100.00</c>, <c>1e2</c>), but a value with more decimal places than
/// its currency has (<c>100.5</c> IDR, <c>1.005</c> USD) is refused, never rounded.
/// </summary>
public static class XenditAmounts
{
    /// <summary>The seed's currencies and their decimal places.</summary>
    public static readonly FrozenDictionary<string, int> Decimals = Grains.Sessions.Xendit.XenditCurrencies.Decimals;

    // Digits of a long: anything longer after trimming zeros cannot fit.
    private const int MaxDigits = 19;

    /// <summary>
    /// The amount of <paramref name="element"/> in minor units of <paramref name="currency"/> (one
    /// of <see cref="Decimals"/>), or why not.
    /// </summary>
    public static AmountProblem TryParse(JsonElement element, string currency, out long minorUnits)
    {
        minorUnits = 0;
        if (element.ValueKind != JsonValueKind.Number)
        {
            return AmountProblem.NotANumber;
        }

        return TryParse(element.GetRawText(), Decimals[currency], out minorUnits);
    }

    /// <summary>The same, from the text of a JSON number (the grammar of RFC 8259, which the JSON reader has already checked).</summary>
    public static AmountProblem TryParse(string number, int decimals, out long minorUnits)
    {
        minorUnits = 0;
        var text = number.AsSpan();
        var negative = text.StartsWith("-");
        if (negative)
        {
            text = text[1..];
        }

        var exponent = 0L;
        var e = text.IndexOfAny('e', 'E');
        if (e >= 0)
        {
            // An exponent far outside any amount is answered without building its digits.
            if (!long.TryParse(text[(e + 1)..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out exponent)
                || Math.Abs(exponent) > 10_000)
            {
                exponent = exponent < 0 || text[e + 1] == '-' ? -20_000 : 20_000;
            }

            text = text[..e];
        }

        var dot = text.IndexOf('.');
        var integer = dot >= 0 ? text[..dot] : text;
        var fraction = dot >= 0 ? text[(dot + 1)..] : [];

        // value = digits × 10^scale, digits without leading zeros; minor units = value × 10^decimals.
        var digits = string.Concat(integer, fraction).TrimStart('0');
        var scale = exponent - fraction.Length + decimals;
        if (digits.Length == 0)
        {
            return AmountProblem.None;
        }

        if (negative)
        {
            return AmountProblem.Negative;
        }

        if (scale < 0)
        {
            // Only zeros may fall below the smallest unit.
            var dropped = (int)Math.Min(-scale, digits.Length);
            if (-scale > digits.Length || digits.AsSpan(digits.Length - dropped).ContainsAnyExcept('0'))
            {
                return AmountProblem.TooManyDecimals;
            }

            digits = digits[..^dropped];
            scale = 0;
        }

        if (digits.Length + scale > MaxDigits)
        {
            return AmountProblem.TooLarge;
        }

        var whole = digits + new string('0', (int)scale);
        return long.TryParse(whole, NumberStyles.None, CultureInfo.InvariantCulture, out minorUnits)
            ? AmountProblem.None
            : AmountProblem.TooLarge;
    }

    /// <summary>Minor units back as the major-unit number Xendit shows (<c>10050</c> PHP is <c>100.5</c>).</summary>
    public static decimal ToMajor(long minorUnits, string currency)
    {
        // The same digits with the currency's scale: exact, no division.
        var magnitude = (ulong)Math.Abs((decimal)minorUnits);
        return new decimal((int)(uint)magnitude, (int)(uint)(magnitude >> 32), 0, minorUnits < 0, (byte)Decimals[currency]);
    }
}
