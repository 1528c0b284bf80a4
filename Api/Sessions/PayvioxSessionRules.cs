using System.Text.Json;
using PaySessions.Api.Http;
using PaySessions.Api.Merchants;
using PaySessions.Api.OpenApi;
using PaySessions.Grains.Sessions;

namespace PaySessions.Api.Sessions;

/// <summary>
/// The Payviox-style create-session rules over the raw JSON, with Laravel's messages and keys
/// (<c>order_id</c> reads "order id"; nested fields are keyed <c>items.0.quantity</c>), every
/// error of a body reported at once. They read JSON types strictly: <c>"100"</c> and <c>100.0</c>
/// are not integers. A hand-written rule set rather than FluentValidation, because these rules
/// judge JSON tokens (a string where an integer belongs) that a typed model never sees. They judge
/// the form of each field only: the rules of money (a known currency, items adding up to the
/// amount) are the session grain's, answered after the fields are well-formed (see <see cref="Render"/>).
/// </summary>
public static class PayvioxSessionRules
{
    public const long MaxAmount = 999_999_999_999;
    public const int MaxQuantity = 1_000_000;
    public const int MaxItems = 100;
    public const int MaxTextLength = 255;
    public const int MaxDescriptionLength = 1000;
    public const int MaxMetadataKeys = 50;
    public const int MaxMetadataKeyLength = 40;
    public const int MaxMetadataValueLength = 500;

    /// <summary>The command, or the field errors. <paramref name="merchant"/> decides whether <c>ip</c> is read.</summary>
    public static (CreateSession? Command, string? PaymentMethodId, Dictionary<string, List<string>> Errors) Check(
        JsonElement body, Merchant merchant, string? requestAddress)
    {
        var errors = new FieldErrors();
        var amount = Integer(body, "amount", "amount", min: 100, max: MaxAmount, errors);
        // Whether it is a currency at all is the session grain's rule (see Render).
        var currency = Text(body, "currency", "currency", required: true, max: 3, errors)?.ToUpperInvariant();

        var customer = Text(body, "customer", "customer", required: true, MaxTextLength, errors);
        var orderId = Text(body, "order_id", "order_id", required: true, MaxTextLength, errors);
        // That the items add up to the amount is the session grain's rule (see Render).
        var items = Items(body, errors);

        var description = Text(body, "description", "description", required: false, MaxDescriptionLength, errors);
        var metadata = Metadata(body, errors);
        var paymentMethodId = Text(body, "paymentMethodId", "paymentMethodId", required: false, MaxTextLength, errors);

        var clientIp = EndUserAddress(body, merchant, requestAddress, errors);

        if (errors.Count > 0)
        {
            return (null, null, errors.ToDictionary());
        }

        var command = new CreateSession
        {
            BusinessId = merchant.BusinessId,
            OrderId = orderId!,
            Customer = customer!,
            Amount = amount!.Value,
            Currency = currency!,
            Items = items!,
            Description = description,
            Metadata = metadata ?? new Dictionary<string, string>(),
            ClientIp = clientIp,
            Dialect = SessionDialect.Payviox,
            Livemode = merchant.Livemode,
        };
        return (command, paymentMethodId, []);
    }

    /// <summary>
    /// A rule of money the session grain refused, in Laravel's words and keys. Rules this
    /// dialect's fields already rule out (an empty customer, an amount under 100, no expiry of
    /// its own) keep the grain's sentence as <c>{"error":"…"}</c>.
    /// </summary>
    public static Answer<Status.BadRequest, AnyOf<ApiErrors.ErrorBody, ApiErrors.FieldErrors>> Render(SessionRuleViolation violation) =>
        (violation.Field, violation.Rule) switch
        {
            (SessionField.Currency, SessionRule.UnknownCurrency) => ApiErrors.Validation("currency", "The selected currency is invalid."),
            (SessionField.Amount, SessionRule.ItemsTotalMismatch) => ApiErrors.Validation("amount", "The amount must equal the sum of the items (price × quantity)."),
            _ => ApiErrors.BadRequest(violation.Message),
        };

    /// <summary>The body of <c>POST /session/{id}/pay</c>: the method, and the payer's address.</summary>
    public static (string? PaymentMethodId, string? PayerIp, Dictionary<string, List<string>> Errors) CheckPay(
        JsonElement body, Merchant merchant, string? requestAddress)
    {
        var errors = new FieldErrors();
        var methodId = Text(body, "paymentMethodId", "paymentMethodId", required: true, MaxTextLength, errors);
        var payerIp = EndUserAddress(body, merchant, requestAddress, errors);
        return errors.Count > 0 ? (null, null, errors.ToDictionary()) : (methodId, payerIp, []);
    }

    // Only a server holding the secret key can vouch for the end user's address (the optional
    // `ip` field); from a browser (public key) it is the request's own, whatever the body says.
    private static string? EndUserAddress(JsonElement body, Merchant merchant, string? requestAddress, FieldErrors errors)
    {
        if (!merchant.HasSecretKey)
        {
            return requestAddress;
        }

        if (Text(body, "ip", "ip", required: false, max: 64, errors) is not { } ip)
        {
            return null;
        }

        if (ClientAddress.TryParse(ip, out var normalized))
        {
            return normalized;
        }

        errors.Add("ip", "The ip field must be a valid IP address.");
        return null;
    }

    private static List<LineItem>? Items(JsonElement body, FieldErrors errors)
    {
        if (!Present(body, "items", out var items))
        {
            errors.Add("items", Required("items"));
            return null;
        }

        if (items.ValueKind != JsonValueKind.Array)
        {
            errors.Add("items", "The items field must be an array.");
            return null;
        }

        var count = items.GetArrayLength();
        if (count < 1)
        {
            errors.Add("items", "The items field must have at least 1 items.");
            return null;
        }

        if (count > MaxItems)
        {
            errors.Add("items", $"The items field must not have more than {MaxItems} items.");
            return null;
        }

        var lines = new List<LineItem>(count);
        var valid = true;
        var index = 0;
        foreach (var item in items.EnumerateArray())
        {
            var path = $"items.{index++}";
            if (item.ValueKind != JsonValueKind.Object)
            {
                errors.Add(path, $"The {path} field must be an object.");
                valid = false;
                continue;
            }

            var name = Text(item, "name", path + ".name", required: true, MaxTextLength, errors);
            var quantity = Integer(item, "quantity", path + ".quantity", min: 1, max: MaxQuantity, errors);
            var price = Integer(item, "price", path + ".price", min: 1, max: MaxAmount, errors);
            if (name is null || quantity is null || price is null)
            {
                valid = false;
                continue;
            }

            lines.Add(new LineItem(name, quantity.Value, price.Value));
        }

        return valid ? lines : null;
    }

    private static Dictionary<string, string>? Metadata(JsonElement body, FieldErrors errors)
    {
        if (!Present(body, "metadata", out var metadata))
        {
            return null;
        }

        if (metadata.ValueKind != JsonValueKind.Object)
        {
            errors.Add("metadata", "The metadata field must be an object.");
            return null;
        }

        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var property in metadata.EnumerateObject())
        {
            if (values.Count == MaxMetadataKeys)
            {
                errors.Add("metadata", $"The metadata field must not have more than {MaxMetadataKeys} items.");
                return null;
            }

            var key = property.Name;
            if (!StorableText.IsClean(key) || key.Length == 0 || StorableText.Length(key) > MaxMetadataKeyLength)
            {
                errors.Add("metadata", $"The metadata keys must be between 1 and {MaxMetadataKeyLength} characters.");
                continue;
            }

            var path = "metadata." + key;
            string? value = property.Value.ValueKind switch
            {
                JsonValueKind.String => StorableText.Read(property.Value),
                JsonValueKind.Number => property.Value.GetRawText(),
                JsonValueKind.True => "true",
                JsonValueKind.False => "false",
                _ => null,
            };

            if (value is null)
            {
                errors.Add(path, $"The {path} field must be a string.");
            }
            else if (StorableText.Length(value) > MaxMetadataValueLength)
            {
                errors.Add(path, $"The {path} field must not be greater than {MaxMetadataValueLength} characters.");
            }
            else
            {
                values[key] = value;
            }
        }

        return values;
    }

    private static string? Text(JsonElement body, string name, string path, bool required, int max, FieldErrors errors)
    {
        if (!Present(body, name, out var element))
        {
            if (required)
            {
                errors.Add(path, Required(path));
            }

            return null;
        }

        if (element.ValueKind != JsonValueKind.String || StorableText.Read(element) is not { } text)
        {
            errors.Add(path, $"The {Label(path)} field must be a string.");
            return null;
        }

        if (string.IsNullOrWhiteSpace(text))
        {
            if (required)
            {
                errors.Add(path, Required(path));
            }

            return null;
        }

        if (StorableText.Length(text) > max)
        {
            errors.Add(path, $"The {Label(path)} field must not be greater than {max} characters.");
            return null;
        }

        return text;
    }

    private static long? Integer(JsonElement body, string name, string path, long min, long max, FieldErrors errors)
    {
        if (!Present(body, name, out var element))
        {
            errors.Add(path, Required(path));
            return null;
        }

        if (element.ValueKind != JsonValueKind.Number || !IsIntegerLiteral(element.GetRawText()))
        {
            errors.Add(path, $"The {Label(path)} field must be an integer.");
            return null;
        }

        if (!element.TryGetInt64(out var value))
        {
            // An integer literal that does not fit in 64 bits: far beyond any limit.
            errors.Add(path, element.GetRawText().StartsWith('-')
                ? $"The {Label(path)} field must be at least {min}."
                : $"The {Label(path)} field must not be greater than {max}.");
            return null;
        }

        if (value < min)
        {
            errors.Add(path, $"The {Label(path)} field must be at least {min}.");
            return null;
        }

        if (value > max)
        {
            errors.Add(path, $"The {Label(path)} field must not be greater than {max}.");
            return null;
        }

        return value;
    }

    // Absent and null are the same to these rules, as they are to Laravel's.
    private static bool Present(JsonElement body, string name, out JsonElement value) =>
        body.TryGetProperty(name, out value) && value.ValueKind != JsonValueKind.Null;

    private static readonly System.Buffers.SearchValues<char> Digits = System.Buffers.SearchValues.Create("0123456789");

    private static bool IsIntegerLiteral(string raw) => !raw.AsSpan().TrimStart('-').ContainsAnyExcept(Digits);

    private static string Required(string path) => $"The {Label(path)} field is required.";

    // Laravel shows order_id as "order id" and paymentMethodId as "payment method id".
    private static string Label(string path)
    {
        var builder = new System.Text.StringBuilder(path.Length + 4);
        foreach (var c in path)
        {
            if (c == '_')
            {
                builder.Append(' ');
            }
            else if (char.IsAsciiLetterUpper(c))
            {
                builder.Append(' ').Append(char.ToLowerInvariant(c));
            }
            else
            {
                builder.Append(c);
            }
        }

        return builder.ToString();
    }

    private sealed class FieldErrors
    {
        private readonly Dictionary<string, List<string>> _errors = new(StringComparer.Ordinal);

        public int Count => _errors.Count;

        public void Add(string field, string message)
        {
            if (!_errors.TryGetValue(field, out var messages))
            {
                _errors[field] = messages = [];
            }

            if (!messages.Contains(message))
            {
                messages.Add(message);
            }
        }

        public Dictionary<string, List<string>> ToDictionary() => _errors;
    }
}
