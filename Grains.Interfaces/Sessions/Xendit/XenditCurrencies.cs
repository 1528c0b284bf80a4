using System.Collections.Frozen;

namespace PaySessions.Grains.Sessions.Xendit;

/// <summary>
/// The Xendit dialect's currencies and their decimal places, which are that provider's, not always
/// ISO 4217's: IDR and VND have none (ISO gives IDR two). A Xendit-dialect session's minor units
/// are these, so its amounts (and any figure shown back to its merchant) convert with this table.
/// </summary>
public static class XenditCurrencies
{
    public static readonly FrozenDictionary<string, int> Decimals = new Dictionary<string, int>(StringComparer.Ordinal)
    {
        ["IDR"] = 0,
        ["VND"] = 0,
        ["PHP"] = 2,
        ["THB"] = 2,
        ["SGD"] = 2,
        ["MYR"] = 2,
        ["USD"] = 2,
    }.ToFrozenDictionary(StringComparer.Ordinal);

    /// <summary>
    /// Decimal places of <paramref name="currency"/> for this dialect: its own table, else ISO 4217's
    /// (a provider may report money in a currency the dialect does not offer); null when unknown.
    /// </summary>
    public static int? DecimalsOf(string currency) =>
        Decimals.TryGetValue(currency, out var decimals) ? decimals : Money.Currencies.Exponent(currency);
}
