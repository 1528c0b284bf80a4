using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using PaySessions.Api.Http;
using PaySessions.Grains.Customers;
using PaySessions.Grains.Sessions;

namespace PaySessions.Api.Xendit;

/// <summary>
/// How far ahead a Xendit-style session may expire. The seed's floor (10 minutes) is fixed; the
/// ceiling and the default (when the merchant sends no <c>expires_at</c>) are configurable.
/// </summary>
public sealed record XenditSessionLimits
{
    /// <summary>The seed's floor: <c>expires_at</c> at least this far after now.</summary>
    public static readonly TimeSpan MinExpiry = TimeSpan.FromMinutes(10);

    public static XenditSessionLimits Default { get; } = new();

    /// <summary>The latest an <c>expires_at</c> may be after now (default 30 minutes).</summary>
    public TimeSpan MaxExpiry { get; init; } = TimeSpan.FromMinutes(30);

    /// <summary>The expiry of a session that names none (the seed's 30 minutes after creation).</summary>
    public TimeSpan DefaultExpiry { get; init; } = TimeSpan.FromMinutes(30);

    /// <summary>For start-up validation: the ceiling is at least the seed's floor, and the default lies between them.</summary>
    public bool IsValid => MaxExpiry >= MinExpiry && DefaultExpiry >= MinExpiry && DefaultExpiry <= MaxExpiry;
}

/// <summary>
/// One refusal of a Xendit-style body: the catalogue's <c>error_code</c>, its top-level
/// <c>message</c>, and the JSON pointer of the field (<c>/body/items/0/url</c>). For
/// API_VALIDATION_ERROR, <see cref="FieldMessage"/> is the <c>errors[0].message</c>.
/// </summary>
public sealed record XenditRuleError(string ErrorCode, string Message, string Path, string? FieldMessage = null)
{
    /// <summary>The seed's 400 body for this refusal.</summary>
    public BadRequest<XenditErrors.ErrorBody> ToResult() => TypedResults.BadRequest(
        new XenditErrors.ErrorBody(
            ErrorCode,
            Message,
            FieldMessage is null ? null : [new XenditErrors.FieldError(FieldMessage, Path)]));
}

/// <summary>
/// The facts of a well-formed <c>POST /sessions</c> body. The HTTP layer resolves the customer
/// (<see cref="Customer"/> to find or create, or <see cref="CustomerId"/> to look up) and the
/// channels, then builds the command with <see cref="ToCommand"/>.
/// </summary>
public sealed record XenditCreateFacts
{
    /// <summary><c>reference_id</c>: the session's order id.</summary>
    public required string ReferenceId { get; init; }

    public required SessionType SessionType { get; init; }

    /// <summary>The amount in minor units of <see cref="Currency"/>.</summary>
    public required long Amount { get; init; }

    public required string Currency { get; init; }

    /// <summary>The items as line items (net_unit_amount in minor units); empty when none were sent.</summary>
    public required IReadOnlyList<LineItem> Items { get; init; }

    public string? Description { get; init; }

    public required IReadOnlyDictionary<string, string> Metadata { get; init; }

    /// <summary>As sent, or now + <see cref="XenditSessionLimits.DefaultExpiry"/>.</summary>
    public required DateTimeOffset ExpiresAt { get; init; }

    /// <summary>The dialect's own facts; <see cref="XenditSessionDetails.CustomerId"/> is left for <see cref="ToCommand"/>.</summary>
    public required XenditSessionDetails Details { get; init; }

    /// <summary>The <c>customer</c> object, to find by reference or create; null when none was sent.</summary>
    public CustomerDetails? Customer { get; init; }

    /// <summary>The <c>customer_id</c> (well-formed <c>cust-&lt;uuid&gt;</c>), to look up; null when none was sent.</summary>
    public string? CustomerId { get; init; }

    /// <summary>
    /// The session grain's command, once the HTTP layer knows who asks and which customer it is.
    /// <paramref name="customer"/> is the rate-limit key of the end customer (the resolved
    /// customer id, or the merchant's reference when the session has no customer).
    /// </summary>
    public CreateSession ToCommand(string businessId, bool livemode, string customer, string? customerId, string? clientIp = null) => new()
    {
        BusinessId = businessId,
        OrderId = ReferenceId,
        Customer = customer,
        Amount = Amount,
        Currency = Currency,
        Items = Items,
        Description = Description,
        Metadata = Metadata,
        ClientIp = clientIp,
        ExpiresAt = ExpiresAt,
        Dialect = SessionDialect.Xendit,
        SessionType = SessionType,
        Livemode = livemode,
        Xendit = Details with { CustomerId = customerId },
    };
}

/// <summary>Either the facts of the body or its first error.</summary>
public sealed record XenditSessionCheck(XenditCreateFacts? Create, XenditRuleError? Error)
{
    public bool IsValid => Create is not null;
}

/// <summary>
/// The <c>POST /sessions</c> body rules of the seed (a pure function of the body, the clock and
/// the limits). A body with several problems answers with the first, in this order:
/// <list type="number">
/// <item>Shape (API_VALIDATION_ERROR), field by field in the seed's table order: the body is an
/// object; reference_id; customer_id (a string); customer and its fields; session_type (a
/// string); allow_save_payment_method; currency (a string); amount (a number ≥ 0 that fits);
/// mode (a string); capture_method; country (a string); channel_properties;
/// allowed_payment_channels; expires_at (ISO 8601 with offset); locale; metadata (an object);
/// description; items and each item's fields; success_return_url; cancel_return_url.</item>
/// <item>The catalogue's own codes, in this order: SESSION_TYPE_NOT_SUPPORTED,
/// MODE_NOT_SUPPORTED, INVALID_CURRENCY, INVALID_COUNTRY, INVALID_AMOUNT (decimal places),
/// INVALID_CUSTOMER_ID, MISSING_CUSTOMER, DISALLOWED_CAPTURE_METHOD, ITEMS_NOT_SUPPORTED, the items'
/// currency (INVALID_CURRENCY / API_VALIDATION_ERROR) and net_unit_amount decimals
/// (INVALID_AMOUNT), INVALID_METADATA, INVALID_ITEM_METADATA, INVALID_URL (success, cancel, then
/// each item's url and image_url), INVALID_EXPIRY_DATE.</item>
/// </list>
/// The rules of money (PAY above 0, SAVE exactly 0, items adding up to the amount) are not judged
/// here: they are the session grain's, and <see cref="Render"/> words its refusal.
/// </summary>
public static class XenditSessionRules
{
    public const int MaxReferenceIdLength = 64;
    public const int MaxDescriptionLength = 1000;
    public const int MaxMetadataKeys = 20;
    public const int MaxMetadataKeyLength = 40;
    public const int MaxMetadataValueLength = 80;
    public const int MaxItemTextLength = 255;
    public const int MaxChannelLength = 255;

    public const string InvalidAmount = "INVALID_AMOUNT";
    public const string InvalidMetadata = "INVALID_METADATA";
    public const string InvalidItemMetadata = "INVALID_ITEM_METADATA";
    public const string InvalidCurrency = "INVALID_CURRENCY";
    public const string InvalidCountry = "INVALID_COUNTRY";
    public const string InvalidCustomerId = "INVALID_CUSTOMER_ID";
    public const string InvalidUrl = "INVALID_URL";
    public const string MissingCustomer = "MISSING_CUSTOMER";
    public const string DisallowedCaptureMethod = "DISALLOWED_CAPTURE_METHOD";
    public const string InvalidExpiryDate = "INVALID_EXPIRY_DATE";
    public const string ItemsNotSupported = "ITEMS_NOT_SUPPORTED";
    public const string SessionTypeNotSupported = "SESSION_TYPE_NOT_SUPPORTED";
    public const string ModeNotSupported = "MODE_NOT_SUPPORTED";

    /// <summary>The seed's countries of a transaction.</summary>
    public static readonly IReadOnlyList<string> Countries = ["ID", "PH", "VN", "TH", "SG", "MY"];

    private static readonly Dictionary<string, SessionType> SessionTypes = new(StringComparer.Ordinal)
    {
        ["PAY"] = SessionType.Pay,
        ["SAVE"] = SessionType.Save,
    };

    private static readonly Dictionary<string, IntegrationMode> Modes = new(StringComparer.Ordinal)
    {
        ["PAYMENT_LINK"] = IntegrationMode.PaymentLink,
        ["COMPONENTS"] = IntegrationMode.Components,
    };

    private static readonly Dictionary<string, CaptureMethod> CaptureMethods = new(StringComparer.Ordinal)
    {
        ["AUTOMATIC"] = CaptureMethod.Automatic,
        ["MANUAL"] = CaptureMethod.Manual,
    };

    private static readonly Dictionary<string, SavePaymentMethod> SaveOptions = new(StringComparer.Ordinal)
    {
        ["DISABLED"] = SavePaymentMethod.Disabled,
        ["OPTIONAL"] = SavePaymentMethod.Optional,
        ["FORCED"] = SavePaymentMethod.Forced,
    };

    private static readonly Dictionary<string, XenditItemType> ItemTypes = new(StringComparer.Ordinal)
    {
        ["DIGITAL_PRODUCT"] = XenditItemType.DigitalProduct,
        ["PHYSICAL_PRODUCT"] = XenditItemType.PhysicalProduct,
        ["DIGITAL_SERVICE"] = XenditItemType.DigitalService,
        ["PHYSICAL_SERVICE"] = XenditItemType.PhysicalService,
        ["FEE"] = XenditItemType.Fee,
    };

    private static readonly Dictionary<string, CustomerGender> Genders = new(StringComparer.Ordinal)
    {
        ["MALE"] = CustomerGender.Male,
        ["FEMALE"] = CustomerGender.Female,
        ["OTHER"] = CustomerGender.Other,
    };

    /// <summary>The facts of <paramref name="body"/>, or its first error (see the class for the order).</summary>
    public static XenditSessionCheck Check(JsonElement body, DateTimeOffset now, XenditSessionLimits limits)
    {
        try
        {
            return new(Parse(body, now, limits), null);
        }
        catch (Refusal refusal)
        {
            return new(null, refusal.Error);
        }
    }

    /// <summary>
    /// The session grain's refusal of a rule of money or time in the catalogue's words:
    /// INVALID_AMOUNT for the amount rules (with the seed's message for a PAY of 0), INVALID_EXPIRY_DATE
    /// for the expiry; anything else (not reachable from a checked body) is INVALID_AMOUNT or
    /// API_VALIDATION_ERROR at <c>/body</c> with the grain's sentence.
    /// </summary>
    public static XenditRuleError Render(SessionRuleViolation violation) => (violation.Field, violation.Rule) switch
    {
        (_, SessionRule.AmountNotPositive) => new(InvalidAmount, "Amount must be greater than zero", "/body/amount"),
        (_, SessionRule.AmountNotZero) => new(InvalidAmount, "Amount must be zero for session type SAVE", "/body/amount"),
        (_, SessionRule.ItemsTotalMismatch) => new(InvalidAmount, "Amount must equal the sum of the items (net_unit_amount × quantity)", "/body/amount"),
        (_, SessionRule.UnknownCurrency) => new(InvalidCurrency, "The provided currency is not supported", "/body/currency"),
        (_, SessionRule.ExpiryNotInFuture) => new(InvalidExpiryDate, $"expires_at must be at least {XenditSessionLimits.MinExpiry.TotalMinutes:0} minutes in the future", "/body/expires_at"),
        _ => Validation("/body", violation.Message),
    };

    private static XenditCreateFacts Parse(JsonElement body, DateTimeOffset now, XenditSessionLimits limits)
    {
        if (body.ValueKind != JsonValueKind.Object)
        {
            throw Invalid("/body", "must be object");
        }

        // 1. Shape, in the seed's table order.
        var referenceId = Text(body, "reference_id", "/body", required: true, 1, MaxReferenceIdLength)!;
        var customerIdText = Text(body, "customer_id", "/body", required: false, 0, int.MaxValue);
        var customer = Customer(body);
        if (customer is not null && customerIdText is not null)
        {
            throw Invalid("/body/customer_id", "must not be sent together with customer");
        }

        var sessionTypeText = Text(body, "session_type", "/body", required: true, 0, int.MaxValue)!;
        var saveOption = Enum(body, "allow_save_payment_method", "/body", SaveOptions);
        var currency = Text(body, "currency", "/body", required: true, 0, int.MaxValue)!;
        var amountElement = Required(body, "amount", "/body");
        if (amountElement.ValueKind != JsonValueKind.Number)
        {
            throw Invalid("/body/amount", "must be number");
        }

        // The shape of the number (≥ 0, fits) is judged now; its decimal places once the currency is known.
        var amountShape = XenditAmounts.TryParse(amountElement.GetRawText(), 0, out _);
        if (amountShape is AmountProblem.Negative)
        {
            throw Invalid("/body/amount", "must be >= 0");
        }

        if (amountShape is AmountProblem.TooLarge)
        {
            throw Invalid("/body/amount", "must not be larger than the currency allows");
        }

        var modeText = Text(body, "mode", "/body", required: true, 0, int.MaxValue)!;
        var captureMethod = Enum(body, "capture_method", "/body", CaptureMethods);
        var country = Text(body, "country", "/body", required: true, 0, int.MaxValue)!;
        var channelProperties = ChannelProperties(body);
        var channels = Channels(body);
        var expiresAt = ExpiresAt(body);
        var locale = Locale(body);
        var metadataElement = Optional(body, "metadata", out var m) ? m : (JsonElement?)null;
        if (metadataElement is { ValueKind: not JsonValueKind.Object })
        {
            throw Invalid("/body/metadata", "must be object");
        }

        var description = Text(body, "description", "/body", required: false, 1, MaxDescriptionLength);
        var itemElements = ItemShapes(body);
        var successUrl = Text(body, "success_return_url", "/body", required: false, 0, int.MaxValue);
        var cancelUrl = Text(body, "cancel_return_url", "/body", required: false, 0, int.MaxValue);

        // 2. The catalogue's codes.
        if (!SessionTypes.TryGetValue(sessionTypeText, out var sessionType))
        {
            throw new Refusal(new(SessionTypeNotSupported, $"session_type {sessionTypeText} is not supported for now", "/body/session_type"));
        }

        if (!Modes.TryGetValue(modeText, out var mode))
        {
            throw new Refusal(new(ModeNotSupported, $"mode {modeText} is not supported for now", "/body/mode"));
        }

        if (!XenditAmounts.Decimals.ContainsKey(currency))
        {
            throw new Refusal(new(InvalidCurrency, "The provided currency is not supported", "/body/currency"));
        }

        if (!Countries.Contains(country, StringComparer.Ordinal))
        {
            throw new Refusal(new(InvalidCountry, "The provided country is not supported", "/body/country"));
        }

        if (XenditAmounts.TryParse(amountElement, currency, out var amount) != AmountProblem.None)
        {
            throw new Refusal(new(InvalidAmount, DecimalsMessage(currency), "/body/amount"));
        }

        if (customerIdText is not null)
        {
            if (!customerIdText.StartsWith(CustomerIds.Prefix, StringComparison.Ordinal))
            {
                throw new Refusal(new(InvalidCustomerId, "Customer ID must start with \"cust-\"", "/body/customer_id"));
            }

            if (!CustomerIds.IsWellFormed(customerIdText))
            {
                throw new Refusal(new(InvalidCustomerId, "Customer ID must be \"cust-\" followed by a lower-case UUID", "/body/customer_id"));
            }
        }

        if (customer is null && customerIdText is null
            && (sessionType == SessionType.Save || saveOption is SavePaymentMethod.Optional or SavePaymentMethod.Forced))
        {
            throw new Refusal(new(MissingCustomer, "Customer object or customer_id is required", "/body/customer"));
        }

        if (captureMethod is not null && sessionType == SessionType.Save)
        {
            throw new Refusal(new(DisallowedCaptureMethod, "Capture method is not supported for session type SAVE", "/body/capture_method"));
        }

        if (itemElements is not null && sessionType != SessionType.Pay)
        {
            throw new Refusal(new(ItemsNotSupported, "Items are allowed for session type PAY only", "/body/items"));
        }

        var items = itemElements is null ? null : Items(itemElements, currency);
        var metadata = metadataElement is { } meta ? Metadata(meta, "/body/metadata", InvalidMetadata) : new Dictionary<string, string>();
        if (items is not null)
        {
            for (var i = 0; i < items.Count; i++)
            {
                if (itemElements![i].Metadata is { } itemMeta)
                {
                    items[i] = items[i] with { Metadata = Metadata(itemMeta, $"/body/items/{i}/metadata", InvalidItemMetadata) };
                }
            }
        }

        Url(successUrl, "/body/success_return_url", httpAllowed: false);
        Url(cancelUrl, "/body/cancel_return_url", httpAllowed: false);
        for (var i = 0; i < (items?.Count ?? 0); i++)
        {
            Url(items![i].Url, $"/body/items/{i}/url", httpAllowed: true);
            Url(items[i].ImageUrl, $"/body/items/{i}/image_url", httpAllowed: true);
        }

        var expiry = expiresAt ?? now + limits.DefaultExpiry;
        if (expiresAt is { } sent)
        {
            if (sent < now + XenditSessionLimits.MinExpiry)
            {
                throw new Refusal(new(InvalidExpiryDate, $"expires_at must be at least {XenditSessionLimits.MinExpiry.TotalMinutes:0} minutes in the future", "/body/expires_at"));
            }

            if (sent > now + limits.MaxExpiry)
            {
                throw new Refusal(new(InvalidExpiryDate, $"expires_at must be at most {Duration(limits.MaxExpiry)} in the future", "/body/expires_at"));
            }
        }

        return new XenditCreateFacts
        {
            ReferenceId = referenceId,
            SessionType = sessionType,
            Amount = amount,
            Currency = currency,
            Items = items?.Select(i => new LineItem(i.Name, i.Quantity, Minor(i.NetUnitAmount, currency))).ToList() ?? [],
            Description = description,
            Metadata = metadata,
            ExpiresAt = expiry,
            Customer = customer,
            CustomerId = customerIdText,
            Details = new XenditSessionDetails
            {
                Mode = mode,
                CaptureMethod = captureMethod,
                AllowSavePaymentMethod = saveOption,
                Country = country,
                ChannelProperties = channelProperties,
                AllowedPaymentChannels = channels,
                Locale = locale ?? "en",
                SuccessReturnUrl = successUrl,
                CancelReturnUrl = cancelUrl,
                AmountAsSent = XenditAmounts.ToMajor(amount, currency),
                Items = items,
                MetadataSent = metadataElement is not null,
            },
        };
    }

    private static CustomerDetails? Customer(JsonElement body)
    {
        if (!Optional(body, "customer", out var customer))
        {
            return null;
        }

        const string path = "/body/customer";
        if (customer.ValueKind != JsonValueKind.Object)
        {
            throw Invalid(path, "must be object");
        }

        var type = Text(customer, "type", path, required: true, 0, int.MaxValue)!;
        if (type != "INDIVIDUAL")
        {
            throw Invalid(path + "/type", "must be equal to one of the allowed values");
        }

        var referenceId = Text(customer, "reference_id", path, required: true, 1, 255)!;
        var email = Text(customer, "email", path, required: false, 4, 50);
        if (email is not null && !IsEmail(email))
        {
            throw Invalid(path + "/email", "must match format \"email\"");
        }

        var mobile = Text(customer, "mobile_number", path, required: false, 1, 50);
        if (mobile is not null && !IsE164(mobile))
        {
            throw Invalid(path + "/mobile_number", "must be in E.164 format");
        }

        var detailPath = path + "/individual_detail";
        var detail = Required(customer, "individual_detail", path);
        if (detail.ValueKind != JsonValueKind.Object)
        {
            throw Invalid(detailPath, "must be object");
        }

        var givenNames = Text(detail, "given_names", detailPath, required: true, 1, 50)!;
        var surname = Text(detail, "surname", detailPath, required: false, 1, 50);
        var nationality = Text(detail, "nationality", detailPath, required: false, 2, 2);
        if (nationality is not null && !(char.IsAsciiLetterUpper(nationality[0]) && char.IsAsciiLetterUpper(nationality[1])))
        {
            throw Invalid(detailPath + "/nationality", "must be an ISO 3166-1 alpha-2 country code");
        }

        var placeOfBirth = Text(detail, "place_of_birth", detailPath, required: false, 1, 60);
        var birth = Text(detail, "date_of_birth", detailPath, required: false, 10, 10);
        DateOnly? dateOfBirth = null;
        if (birth is not null)
        {
            if (!DateOnly.TryParseExact(birth, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
            {
                throw Invalid(detailPath + "/date_of_birth", "must match format \"date\"");
            }

            dateOfBirth = date;
        }

        var gender = Enum(detail, "gender", detailPath, Genders);
        return new CustomerDetails
        {
            Type = CustomerType.Individual,
            ReferenceId = referenceId,
            Email = email,
            MobileNumber = mobile,
            IndividualDetail = new IndividualDetail
            {
                GivenNames = givenNames,
                Surname = surname,
                Nationality = nationality,
                PlaceOfBirth = placeOfBirth,
                DateOfBirth = dateOfBirth,
                Gender = gender,
            },
        };
    }

    private static string? ChannelProperties(JsonElement body)
    {
        if (!Optional(body, "channel_properties", out var properties))
        {
            return null;
        }

        return properties.ValueKind == JsonValueKind.Object
            ? properties.GetRawText()
            : throw Invalid("/body/channel_properties", "must be object");
    }

    private static List<string> Channels(JsonElement body)
    {
        if (!Optional(body, "allowed_payment_channels", out var channels))
        {
            return [];
        }

        if (channels.ValueKind != JsonValueKind.Array)
        {
            throw Invalid("/body/allowed_payment_channels", "must be array");
        }

        var list = new List<string>();
        var index = 0;
        foreach (var channel in channels.EnumerateArray())
        {
            list.Add(StringValue(channel, $"/body/allowed_payment_channels/{index++}", 1, MaxChannelLength));
        }

        return list;
    }

    private static DateTimeOffset? ExpiresAt(JsonElement body)
    {
        if (Text(body, "expires_at", "/body", required: false, 0, 64) is not { } text)
        {
            return null;
        }

        // ISO 8601 date-time with an offset (Z or ±hh:mm): a time without one names no instant.
        string[] formats = ["yyyy-MM-dd'T'HH:mm:ssK", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFK"];
        var hasOffset = text.EndsWith('Z') || (text.Length > 6 && text[^6] is '+' or '-' && text[^3] == ':');
        return hasOffset && DateTimeOffset.TryParseExact(text, formats, CultureInfo.InvariantCulture, DateTimeStyles.None, out var at)
            ? at
            : throw Invalid("/body/expires_at", "must match format \"date-time\"");
    }

    private static string? Locale(JsonElement body)
    {
        var locale = Text(body, "locale", "/body", required: false, 0, int.MaxValue);
        return locale is null || (locale.Length == 2 && char.IsAsciiLetterLower(locale[0]) && char.IsAsciiLetterLower(locale[1]))
            ? locale
            : throw Invalid("/body/locale", "must be an ISO 639-1 two-letter language code");
    }

    private sealed record ItemShape(JsonElement Element, JsonElement? Metadata);

    private static List<ItemShape>? ItemShapes(JsonElement body)
    {
        if (!Optional(body, "items", out var items))
        {
            return null;
        }

        if (items.ValueKind != JsonValueKind.Array)
        {
            throw Invalid("/body/items", "must be array");
        }

        var shapes = new List<ItemShape>();
        var index = 0;
        foreach (var item in items.EnumerateArray())
        {
            var path = $"/body/items/{index++}";
            if (item.ValueKind != JsonValueKind.Object)
            {
                throw Invalid(path, "must be object");
            }

            Text(item, "reference_id", path, required: true, 1, MaxItemTextLength);
            Enum(item, "type", path, ItemTypes);
            Text(item, "name", path, required: true, 1, MaxItemTextLength);
            var net = Required(item, "net_unit_amount", path);
            if (net.ValueKind != JsonValueKind.Number)
            {
                throw Invalid(path + "/net_unit_amount", "must be number");
            }

            var netShape = XenditAmounts.TryParse(net.GetRawText(), 0, out _);
            if (netShape is AmountProblem.Negative or AmountProblem.TooLarge)
            {
                throw Invalid(path + "/net_unit_amount", netShape is AmountProblem.Negative ? "must be >= 0" : "must not be larger than the currency allows");
            }

            var quantity = Required(item, "quantity", path);
            long count = 0;
            var quantityShape = quantity.ValueKind == JsonValueKind.Number
                ? XenditAmounts.TryParse(quantity.GetRawText(), 0, out count)
                : AmountProblem.NotANumber;
            if (quantityShape is AmountProblem.NotANumber or AmountProblem.TooManyDecimals)
            {
                throw Invalid(path + "/quantity", "must be integer");
            }

            if (quantityShape is AmountProblem.TooLarge)
            {
                throw Invalid(path + "/quantity", $"must be <= {long.MaxValue}");
            }

            if (quantityShape is AmountProblem.Negative || count < 1)
            {
                throw Invalid(path + "/quantity", "must be >= 1");
            }

            Text(item, "url", path, required: false, 0, int.MaxValue);
            Text(item, "image_url", path, required: false, 0, int.MaxValue);
            Text(item, "category", path, required: true, 0, MaxItemTextLength);
            Text(item, "subcategory", path, required: false, 0, MaxItemTextLength);
            Text(item, "description", path, required: false, 0, MaxItemTextLength);
            Text(item, "currency", path, required: false, 0, int.MaxValue);
            JsonElement? metadata = null;
            if (Optional(item, "metadata", out var meta))
            {
                metadata = meta.ValueKind == JsonValueKind.Object ? meta : throw Invalid(path + "/metadata", "must be object");
            }

            shapes.Add(new ItemShape(item, metadata));
        }

        return shapes;
    }

    // The items, once their shapes held and the session's currency is known: each item's
    // currency (when sent) is the session's, and its net_unit_amount has the currency's decimals.
    private static List<XenditItem> Items(List<ItemShape> shapes, string currency)
    {
        var items = new List<XenditItem>(shapes.Count);
        for (var i = 0; i < shapes.Count; i++)
        {
            var item = shapes[i].Element;
            var path = $"/body/items/{i}";
            var itemCurrency = Text(item, "currency", path, required: false, 0, int.MaxValue);
            if (itemCurrency is not null && !XenditAmounts.Decimals.ContainsKey(itemCurrency))
            {
                throw new Refusal(new(InvalidCurrency, "The provided currency is not supported", path + "/currency"));
            }

            if (itemCurrency is not null && itemCurrency != currency)
            {
                throw Invalid(path + "/currency", "must be equal to the session's currency");
            }

            if (XenditAmounts.TryParse(item.GetProperty("net_unit_amount"), currency, out var net) != AmountProblem.None)
            {
                throw new Refusal(new(InvalidAmount, DecimalsMessage(currency), path + "/net_unit_amount"));
            }

            XenditAmounts.TryParse(item.GetProperty("quantity").GetRawText(), 0, out var quantity);
            items.Add(new XenditItem
            {
                ReferenceId = Text(item, "reference_id", path, true, 1, MaxItemTextLength)!,
                Type = Enum(item, "type", path, ItemTypes),
                Name = Text(item, "name", path, true, 1, MaxItemTextLength)!,
                NetUnitAmount = XenditAmounts.ToMajor(net, currency),
                Quantity = quantity,
                Category = Text(item, "category", path, true, 0, MaxItemTextLength)!,
                Subcategory = Text(item, "subcategory", path, false, 0, MaxItemTextLength),
                Description = Text(item, "description", path, false, 0, MaxItemTextLength),
                Url = Text(item, "url", path, false, 0, int.MaxValue),
                ImageUrl = Text(item, "image_url", path, false, 0, int.MaxValue),
                Currency = itemCurrency,
            });
        }

        return items;
    }

    private static Dictionary<string, string> Metadata(JsonElement metadata, string path, string code)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var property in metadata.EnumerateObject())
        {
            if (values.Count == MaxMetadataKeys)
            {
                throw new Refusal(new(code, $"Metadata must have at most {MaxMetadataKeys} keys", path));
            }

            var key = property.Name;
            if (key.Length == 0 || !StorableText.IsClean(key) || StorableText.Length(key) > MaxMetadataKeyLength)
            {
                throw new Refusal(new(code, $"Metadata key must have between 1 and {MaxMetadataKeyLength} characters", path));
            }

            if (values.ContainsKey(key))
            {
                throw new Refusal(new(code, "Metadata keys must be unique", path));
            }

            if (property.Value.ValueKind != JsonValueKind.String || StorableText.Read(property.Value) is not { } value)
            {
                throw new Refusal(new(code, "Metadata value must be a string", path + "/" + Escape(key)));
            }

            if (StorableText.Length(value) > MaxMetadataValueLength)
            {
                throw new Refusal(new(code, $"Metadata value must have at most {MaxMetadataValueLength} characters", path + "/" + Escape(key)));
            }

            values[key] = value;
        }

        return values;
    }

    private static void Url(string? url, string path, bool httpAllowed)
    {
        if (url is null)
        {
            return;
        }

        var ok = Uri.TryCreate(url, UriKind.Absolute, out var uri)
            && (uri.Scheme == Uri.UriSchemeHttps || (httpAllowed && uri.Scheme == Uri.UriSchemeHttp))
            && uri.Host.Length > 0
            && !url.Any(char.IsWhiteSpace);
        if (!ok)
        {
            throw new Refusal(new(InvalidUrl, httpAllowed ? "Please provide a valid HTTP or HTTPS URL" : "Please provide a valid HTTPS URL", path));
        }
    }

    private static bool IsEmail(string email)
    {
        var at = email.IndexOf('@');
        return at > 0 && at == email.LastIndexOf('@') && at < email.Length - 1
            && email.IndexOf('.', at) > at + 1 && !email.EndsWith('.')
            && !email.Any(c => char.IsWhiteSpace(c) || char.IsControl(c));
    }

    // +, a country code not starting with 0, at most 15 digits in all.
    private static bool IsE164(string number) =>
        number.Length is >= 3 and <= 16 && number[0] == '+' && number[1] is >= '1' and <= '9' && number.AsSpan(1).IndexOfAnyExceptInRange('0', '9') < 0;

    private static T? Enum<T>(JsonElement body, string name, string parent, Dictionary<string, T> values)
        where T : struct
    {
        var text = Text(body, name, parent, required: false, 0, int.MaxValue);
        if (text is null)
        {
            return null;
        }

        return values.TryGetValue(text, out var value) ? value : throw Invalid($"{parent}/{name}", "must be equal to one of the allowed values");
    }

    private static string? Text(JsonElement body, string name, string parent, bool required, int min, int max)
    {
        if (!Optional(body, name, out var element))
        {
            return required ? throw MissingProperty(parent, name) : null;
        }

        return StringValue(element, $"{parent}/{name}", min, max);
    }

    private static string StringValue(JsonElement element, string path, int min, int max)
    {
        if (element.ValueKind != JsonValueKind.String)
        {
            throw Invalid(path, "must be string");
        }

        if (StorableText.Read(element) is not { } text)
        {
            throw Invalid(path, "must be a valid string (no NUL or lone surrogate)");
        }

        var length = StorableText.Length(text);
        if (length < min)
        {
            throw Invalid(path, $"must NOT have fewer than {min} characters");
        }

        return length > max ? throw Invalid(path, $"must NOT have more than {max} characters") : text;
    }

    private static JsonElement Required(JsonElement body, string name, string parent) =>
        Optional(body, name, out var element) ? element : throw MissingProperty(parent, name);

    // Absent and null are the same: the seed marks its optional objects "| null".
    private static bool Optional(JsonElement body, string name, out JsonElement value) =>
        body.TryGetProperty(name, out value) && value.ValueKind != JsonValueKind.Null;

    // A JSON pointer segment (RFC 6901).
    private static string Escape(string key) => key.Replace("~", "~0", StringComparison.Ordinal).Replace("/", "~1", StringComparison.Ordinal);

    private static long Minor(decimal major, string currency)
    {
        XenditAmounts.TryParse(major.ToString(CultureInfo.InvariantCulture), XenditAmounts.Decimals[currency], out var minor);
        return minor;
    }

    private static string DecimalsMessage(string currency) => XenditAmounts.Decimals[currency] switch
    {
        0 => $"Amount must not have decimal places for currency {currency}",
        var d => $"Amount must have at most {d} decimal places for currency {currency}",
    };

    private static string Duration(TimeSpan span) =>
        span.TotalMinutes % 1 == 0 ? $"{span.TotalMinutes:0} minutes" : $"{span.TotalSeconds:0} seconds";

    private static XenditRuleError Validation(string path, string problem) =>
        new(XenditErrors.ApiValidationError, $"request{path} {problem}", path, problem);

    private static Refusal Invalid(string path, string problem) => new(Validation(path, problem));

    // The seed's wording: the message names the object, the path the missing property.
    private static Refusal MissingProperty(string parent, string name) =>
        new(new(XenditErrors.ApiValidationError, $"request{parent} must have required property '{name}'", $"{parent}/{name}", $"must have required property '{name}'"));

    // The first error ends the parse; it never leaves Check.
    private sealed class Refusal(XenditRuleError error) : Exception(error.Message)
    {
        public XenditRuleError Error { get; } = error;
    }
}
