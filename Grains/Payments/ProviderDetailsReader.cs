using System.Text;
using System.Text.Json;
using PaySessions.Grains.Sessions;

namespace PaySessions.Grains.Payments;

/// <summary>
/// Reads the optional <c>customer_details</c> and <c>payment_details</c> blocks of a provider's
/// webhook. A block is taken whole or not at all: any field of the wrong JSON type, too long, with
/// control characters, a <c>last4</c> that is not exactly four digits, a month outside 1–12, a year
/// that is not four digits, a country that is not two letters, makes the block malformed and it is
/// dropped (the caller logs that it was, never what it held). The payment itself still counts: the
/// money is the fact that matters, and refusing the webhook would make the provider retry the same
/// bytes until it gives up, leaving a paid session open.
/// </summary>
public static class ProviderDetailsReader
{
    public const int MaxTextLength = 255;
    public const int MaxEmailLength = 254;
    public const int MaxPhoneLength = 40;
    public const int MaxPostalCodeLength = 20;
    public const int MaxTypeLength = 32;
    public const int MaxBrandLength = 32;
    public const int MinExpYear = 2000;
    public const int MaxExpYear = 9999;

    /// <summary>The block, or null when absent, JSON null or empty; <paramref name="malformed"/> when it was present but broke a rule.</summary>
    public static ProviderCustomerDetails? Customer(JsonElement? block, out bool malformed)
    {
        malformed = false;
        if (block is not { } element || element.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        var ok = element.ValueKind == JsonValueKind.Object;
        var details = ok
            ? new ProviderCustomerDetails
            {
                Name = Text(element, "name", MaxTextLength, ref ok),
                Email = Email(element, ref ok),
                Phone = Phone(element, ref ok),
                Address = Address(element, ref ok),
            }
            : null;
        if (!ok)
        {
            malformed = true;
            return null;
        }

        return details is { Name: null, Email: null, Phone: null, Address: null } ? null : details;
    }

    /// <summary>The block, or null when absent or JSON null; <paramref name="malformed"/> when it was present but broke a rule (<c>type</c> is required).</summary>
    public static ProviderPaymentDetails? Payment(JsonElement? block, out bool malformed)
    {
        malformed = false;
        if (block is not { } element || element.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        var ok = element.ValueKind == JsonValueKind.Object;
        var type = ok ? Text(element, "type", MaxTypeLength, ref ok) : null;
        var card = ok ? Card(element, ref ok) : null;
        if (!ok || type is null || !type.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-'))
        {
            malformed = true;
            return null;
        }

        return new ProviderPaymentDetails { Type = type.ToLowerInvariant(), Card = card };
    }

    private static ProviderAddress? Address(JsonElement parent, ref bool ok)
    {
        if (!parent.TryGetProperty("address", out var element) || element.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (element.ValueKind != JsonValueKind.Object)
        {
            ok = false;
            return null;
        }

        var address = new ProviderAddress
        {
            Line1 = Text(element, "line1", MaxTextLength, ref ok),
            Line2 = Text(element, "line2", MaxTextLength, ref ok),
            City = Text(element, "city", MaxTextLength, ref ok),
            State = Text(element, "state", MaxTextLength, ref ok),
            PostalCode = Text(element, "postal_code", MaxPostalCodeLength, ref ok),
            Country = Country(element, ref ok),
        };
        return address is { Line1: null, Line2: null, City: null, State: null, PostalCode: null, Country: null } ? null : address;
    }

    private static ProviderCard? Card(JsonElement parent, ref bool ok)
    {
        if (!parent.TryGetProperty("card", out var element) || element.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (element.ValueKind != JsonValueKind.Object)
        {
            ok = false;
            return null;
        }

        var last4 = Text(element, "last4", 4, ref ok);
        if (last4 is not null && (last4.Length != 4 || !last4.All(char.IsAsciiDigit)))
        {
            ok = false;
        }

        var card = new ProviderCard
        {
            Brand = Text(element, "brand", MaxBrandLength, ref ok),
            Last4 = last4,
            ExpMonth = Integer(element, "exp_month", 1, 12, ref ok),
            ExpYear = Integer(element, "exp_year", MinExpYear, MaxExpYear, ref ok),
            Country = Country(element, ref ok),
        };
        return card is { Brand: null, Last4: null, ExpMonth: null, ExpYear: null, Country: null } ? null : card;
    }

    private static string? Email(JsonElement parent, ref bool ok)
    {
        var email = Text(parent, "email", MaxEmailLength, ref ok);
        if (email is not null && (email.IndexOf('@', StringComparison.Ordinal) is <= 0 || email.EndsWith('@') || email.Any(char.IsWhiteSpace)))
        {
            ok = false;
        }

        return email;
    }

    private static string? Phone(JsonElement parent, ref bool ok)
    {
        var phone = Text(parent, "phone", MaxPhoneLength, ref ok);
        if (phone is not null && !phone.All(c => char.IsAsciiDigit(c) || c is '+' or '-' or ' ' or '(' or ')' or '.'))
        {
            ok = false;
        }

        return phone;
    }

    // ISO 3166-1 alpha-2 in shape: two ASCII letters, kept in upper case.
    private static string? Country(JsonElement parent, ref bool ok)
    {
        var country = Text(parent, "country", 2, ref ok);
        if (country is not null && (country.Length != 2 || !country.All(char.IsAsciiLetter)))
        {
            ok = false;
        }

        return country?.ToUpperInvariant();
    }

    // A string of at most max characters (code points) with no control character, or absent / null;
    // an empty string reads as absent. Anything else breaks the block.
    private static string? Text(JsonElement parent, string name, int max, ref bool ok)
    {
        if (!parent.TryGetProperty(name, out var element) || element.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (element.ValueKind != JsonValueKind.String)
        {
            ok = false;
            return null;
        }

        string text;
        try
        {
            text = element.GetString()!;
        }
        catch (InvalidOperationException)
        {
            ok = false;
            return null;
        }

        if (!IsClean(text, max))
        {
            ok = false;
            return null;
        }

        return text.Length == 0 ? null : text;
    }

    private static int? Integer(JsonElement parent, string name, int min, int max, ref bool ok)
    {
        if (!parent.TryGetProperty(name, out var element) || element.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (element.ValueKind == JsonValueKind.Number && element.TryGetInt32(out var value) && value >= min && value <= max)
        {
            return value;
        }

        ok = false;
        return null;
    }

    // No control characters and no unpaired surrogates, at most max code points.
    private static bool IsClean(string text, int max)
    {
        var count = 0;
        for (var i = 0; i < text.Length; i++)
        {
            if (!Rune.TryGetRuneAt(text, i, out var rune) || Rune.IsControl(rune) || ++count > max)
            {
                return false;
            }

            i += rune.Utf16SequenceLength - 1;
        }

        return true;
    }
}
