using System.Globalization;
using PaySessions.Grains.Money;

namespace PaySessions.Api.Sessions;

/// <summary>
/// The filters of <c>GET /payments/methods</c>, read from the query string: <c>countries</c> and
/// <c>currencies</c> are comma-separated codes (at most <see cref="MaxEntries"/> each; blanks
/// around a code and empty entries are ignored, lower case is taken as upper case), each a code
/// the service knows; <c>is_company</c> is <c>true</c>, <c>false</c>, <c>1</c> or <c>0</c>
/// (any case), <c>false</c> when absent. A parameter sent twice counts as one list.
/// </summary>
public static class PaymentMethodQuery
{
    public const int MaxEntries = 200;

    /// <summary>The codes asked for and whether for a company, or every field error (Laravel-style, keyed by path).</summary>
    public static Parsed Parse(string? countries, string? currencies, string? isCompany)
    {
        var errors = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        var countryCodes = Codes("countries", countries, Countries.IsKnown, "a valid ISO 3166-1 alpha-2 country code", errors);
        var currencyCodes = Codes("currencies", currencies, Currencies.IsKnown, "a valid ISO 4217 currency code", errors);
        var company = false;
        if (!string.IsNullOrEmpty(isCompany))
        {
            switch (isCompany.Trim().ToLowerInvariant())
            {
                case "true" or "1":
                    company = true;
                    break;
                case "false" or "0":
                    break;
                default:
                    errors["is_company"] = ["The is company field must be true or false."];
                    break;
            }
        }

        return new Parsed(countryCodes, currencyCodes, company, errors);
    }

    private static List<string> Codes(
        string field, string? text, Func<string, bool> isKnown, string what, Dictionary<string, List<string>> errors)
    {
        var codes = new List<string>();
        if (string.IsNullOrEmpty(text))
        {
            return codes;
        }

        var pieces = text.Split(',');
        var entries = pieces.Count(p => !string.IsNullOrWhiteSpace(p));
        if (entries > MaxEntries)
        {
            errors[field] = [string.Create(CultureInfo.InvariantCulture, $"The {field} field must not have more than {MaxEntries} items.")];
            return codes;
        }

        // Errors name the entry by its place in the list as sent (countries.0 is the first).
        for (var i = 0; i < pieces.Length; i++)
        {
            var piece = pieces[i].Trim();
            if (piece.Length == 0)
            {
                continue;
            }

            var code = piece.ToUpperInvariant();
            if (isKnown(code))
            {
                codes.Add(code);
            }
            else
            {
                var path = string.Create(CultureInfo.InvariantCulture, $"{field}.{i}");
                errors[path] = [$"The {path} field must be {what}."];
            }
        }

        return codes;
    }

    /// <summary>The filters, valid when <see cref="Errors"/> is empty.</summary>
    public sealed record Parsed(
        IReadOnlyList<string> Countries,
        IReadOnlyList<string> Currencies,
        bool IsCompany,
        IReadOnlyDictionary<string, List<string>> Errors)
    {
        public bool IsValid => Errors.Count == 0;
    }
}
