using System.Collections.Frozen;

namespace PaySessions.Grains.Money;

/// <summary>
/// The circulating currencies of ISO 4217 and their minor-unit exponents (how many decimals a
/// major unit has: 2 for USD, 0 for JPY, 3 for KWD). Fund codes (BOV, CLF, …), precious metals
/// and testing codes (XAU, XTS, XXX) are not currencies a customer pays in, and codes withdrawn
/// from circulation (HRK, SLL, ZWL, ANG) are refused.
/// </summary>
public static class Currencies
{
    private static readonly FrozenDictionary<string, int> Exponents = Build();

    /// <summary>True for a current ISO 4217 code in upper case.</summary>
    public static bool IsKnown(string code) => Exponents.ContainsKey(code);

    /// <summary>The number of decimals of <paramref name="code"/>, or null when it is not a known currency.</summary>
    public static int? Exponent(string code) => Exponents.TryGetValue(code, out var exponent) ? exponent : null;

    private static FrozenDictionary<string, int> Build()
    {
        const string zeroDecimals = "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX VND VUV XAF XOF XPF";
        const string threeDecimals = "BHD IQD JOD KWD LYD OMR TND";
        const string twoDecimals =
            "AED AFN ALL AMD AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BRL BSD BTN BWP BYN BZD " +
            "CAD CDF CHF CNY COP CRC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP " +
            "GMD GTQ GYD HKD HNL HTG HUF IDR ILS INR IRR JMD KES KGS KHR KPW KYD KZT LAK LBP LKR LRD " +
            "LSL MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD PAB " +
            "PEN PGK PHP PKR PLN QAR RON RSD RUB SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC " +
            "SYP SZL THB TJS TMT TOP TRY TTD TWD TZS UAH USD UYU UZS VED VES WST XCD XCG YER ZAR ZMW ZWG";

        var table = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (codes, exponent) in new[] { (zeroDecimals, 0), (twoDecimals, 2), (threeDecimals, 3) })
        {
            foreach (var code in codes.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                table.Add(code, exponent);
            }
        }

        return table.ToFrozenDictionary(StringComparer.Ordinal);
    }
}
