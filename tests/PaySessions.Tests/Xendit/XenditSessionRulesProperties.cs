using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using FsCheck;
using FsCheck.Fluent;
using PaySessions.Api.Xendit;
using PaySessions.Grains.Customers;
using PaySessions.Grains.Sessions;

namespace PaySessions.Tests.Xendit;

/// <summary>
/// Over generated bodies: every valid body parses into exactly the facts it says (amounts to the
/// minor unit) and the session grain's rules of money accept its command; any one mutation into a
/// violation answers exactly its code at its path; and no JSON at all makes the rules throw.
/// </summary>
public sealed class XenditSessionRulesProperties
{
    private static readonly DateTimeOffset Now = new(2026, 12, 1, 10, 0, 0, TimeSpan.Zero);

    private const string Uuid = "cust-b98d6f63-d240-44ec-9bd5-aa42954c4f48";

    /// <summary>What a generated body says, to compare the parse against.</summary>
    public sealed record Spec(
        string ReferenceId,
        string SessionType,
        string Mode,
        string Currency,
        string Country,
        long Amount,
        string AmountText,
        IReadOnlyList<ItemSpec>? Items,
        CustomerDetails? Customer,
        string? CustomerId,
        string? SaveOption,
        string? Capture,
        IReadOnlyList<string>? Channels,
        string? ChannelProperties,
        int? ExpirySeconds,
        string? Locale,
        IReadOnlyList<KeyValuePair<string, string>>? Metadata,
        string? Description,
        string? SuccessUrl,
        string? CancelUrl);

    public sealed record ItemSpec(
        string ReferenceId,
        string? Type,
        string Name,
        long NetMinor,
        long Quantity,
        string Category,
        string? Url,
        string? ImageUrl,
        string? Subcategory,
        string? Description,
        bool WithCurrency,
        IReadOnlyList<KeyValuePair<string, string>>? Metadata);

    private static readonly Gen<char> Chars = Gen.Elements("abcXYZ019_- .é中".ToCharArray());

    private static Gen<string> Text(int min, int max) =>
        from length in Gen.Frequency((4, Gen.Choose(min, Math.Min(max, min + 12))), (1, Gen.Constant(max)), (1, Gen.Constant(min)))
        from chars in Gen.ArrayOf(Chars, length)
        from emoji in Gen.Frequency((5, Gen.Constant(false)), (1, Gen.Constant(true)))
        // An emoji is one character of two UTF-16 units: limits count characters.
        select emoji && length > 0 ? "😀" + new string(chars, 1, length - 1) : new string(chars);

    private static Gen<T?> Maybe<T>(Gen<T> gen)
        where T : class =>
        Gen.OneOf(Gen.Constant<T?>(null), gen.Select(v => (T?)v));

    private static readonly Gen<IReadOnlyList<KeyValuePair<string, string>>> MetadataGen =
        from count in Gen.Frequency((4, Gen.Choose(0, 3)), (1, Gen.Constant(XenditSessionRules.MaxMetadataKeys)))
        from values in Gen.ArrayOf(Text(0, XenditSessionRules.MaxMetadataValueLength), count)
        from keys in Gen.ArrayOf(Text(1, XenditSessionRules.MaxMetadataKeyLength - 3), count)
        // A two-digit index first keeps the keys distinct: "1"+"1-" and "11"+"-" would collide.
        select (IReadOnlyList<KeyValuePair<string, string>>)keys.Select((k, i) => new KeyValuePair<string, string>($"{i:D2}{k}", values[i])).ToList();

    private static readonly Gen<string> UrlGen = Gen.Elements("https://example.com/item", "https://shop.example.co.id/a/b?x=1", "http://example.com/plain");

    private static Gen<ItemSpec> ItemGen =>
        from reference in Text(1, 255)
        from type in Gen.Elements<string?>(null, "DIGITAL_PRODUCT", "PHYSICAL_PRODUCT", "DIGITAL_SERVICE", "PHYSICAL_SERVICE", "FEE")
        from name in Text(1, 255)
        from net in Gen.Choose(1, 5_000_000)
        from quantity in Gen.Choose(1, 5)
        from category in Text(0, 255)
        from url in Maybe(UrlGen)
        from image in Maybe(UrlGen)
        from sub in Maybe(Text(0, 255))
        from description in Maybe(Text(0, 255))
        from withCurrency in Gen.Elements(true, false)
        from metadata in Maybe(MetadataGen)
        select new ItemSpec(reference, type, name, net, quantity, category, url, image, sub, description, withCurrency, metadata);

    private static Gen<CustomerDetails> CustomerGen =>
        from reference in Text(1, 255)
        from email in Gen.Elements<string?>(null, "a@b.co", "test@yourdomain.com", new string('x', 40) + "@mail.com")
        from mobile in Gen.Elements<string?>(null, "+6212345678", "+639171234567", "+123456789012345")
        from given in Text(1, 50)
        from surname in Maybe(Text(1, 50))
        from nationality in Gen.Elements<string?>(null, "ID", "PH")
        from place in Maybe(Text(1, 60))
        from birth in Gen.Elements<DateOnly?>(null, new DateOnly(1990, 2, 28), new DateOnly(2000, 2, 29))
        from gender in Gen.Elements<CustomerGender?>(null, CustomerGender.Male, CustomerGender.Female, CustomerGender.Other)
        select new CustomerDetails
        {
            ReferenceId = reference,
            Email = email,
            MobileNumber = mobile,
            IndividualDetail = new IndividualDetail { GivenNames = given, Surname = surname, Nationality = nationality, PlaceOfBirth = place, DateOfBirth = birth, Gender = gender },
        };

    private static readonly Gen<Spec> Valid =
        from pay in Gen.Elements(true, false)
        from mode in Gen.Elements("PAYMENT_LINK", "COMPONENTS")
        from currency in Gen.Elements(XenditAmounts.Decimals.Keys.ToArray())
        from country in Gen.Elements(XenditSessionRules.Countries.ToArray())
        from reference in Text(1, 64)
        from itemCount in Gen.Frequency((2, Gen.Constant(-1)), (1, Gen.Constant(0)), (3, Gen.Choose(1, 3)))
        from items in Gen.ArrayOf(ItemGen, Math.Max(0, itemCount))
        from freeAmount in Gen.OneOf(Gen.Choose(1, 1_000_000).Select(a => (long)a), Gen.Elements(1L, 999_999_999_999L, long.MaxValue / 2))
        from spelling in Gen.Choose(0, 3)
        from customerKind in Gen.Choose(0, 2)
        from customer in CustomerGen
        from saveOption in Gen.Elements<string?>(null, "DISABLED", "OPTIONAL", "FORCED")
        from capture in Gen.Elements<string?>(null, "AUTOMATIC", "MANUAL")
        from channels in Maybe(Gen.ArrayOf(Gen.Elements("CARDS", "OVO", "DANA", "BRI_DIRECT_DEBIT")).Select(a => (IReadOnlyList<string>)a))
        from properties in Gen.Elements<string?>(null, "{}", """{"cards":{"card_on_file_type":"CUSTOMER_UNSCHEDULED"},"x":[1,2.50,null]}""")
        from expiry in Gen.OneOf(Gen.Constant<int?>(null), Gen.Choose(600, 1800).Select(s => (int?)s))
        from locale in Gen.Elements<string?>(null, "en", "id", "th", "vi")
        from metadata in Maybe(MetadataGen)
        from description in Maybe(Text(1, 1000))
        from success in Gen.Elements<string?>(null, "https://yourcompany.com/success/example_item=my_item")
        from cancel in Gen.Elements<string?>(null, "https://yourcompany.com/cancel")
        let withItems = pay && itemCount >= 0
        let amount = !pay ? 0 : withItems && items.Length > 0 ? items.Sum(i => i.NetMinor * i.Quantity) : freeAmount
        // A SAVE session, or one that may save the method, needs a customer.
        let kind = customerKind == 0 && (!pay || saveOption is "OPTIONAL" or "FORCED") ? 1 : customerKind
        select new Spec(
            reference,
            pay ? "PAY" : "SAVE",
            mode,
            currency,
            country,
            amount,
            Spell(amount, currency, spelling),
            withItems ? items : null,
            kind == 1 ? customer : null,
            kind == 2 ? Uuid : null,
            saveOption,
            pay ? capture : null,
            channels,
            properties,
            expiry,
            locale,
            metadata,
            description,
            success,
            cancel);

    private static string Spell(long minor, string currency, int how)
    {
        var decimals = XenditAmounts.Decimals[currency];
        var major = XenditAmounts.ToMajor(minor, currency).ToString(CultureInfo.InvariantCulture);
        return how switch
        {
            0 => major,
            1 => major.Contains('.', StringComparison.Ordinal) ? major + "0" : major + ".00",
            2 => $"{minor}e-{decimals}",
            _ => minor == 0 ? "0.0" : $"{minor}0E-{decimals + 1}",
        };
    }

    private static JsonObject Render(Spec spec)
    {
        var body = new JsonObject
        {
            ["reference_id"] = spec.ReferenceId,
            ["session_type"] = spec.SessionType,
            ["mode"] = spec.Mode,
            ["currency"] = spec.Currency,
            ["country"] = spec.Country,
            ["amount"] = JsonNode.Parse(spec.AmountText),
        };
        if (spec.Items is { } items)
        {
            body["items"] = new JsonArray([.. items.Select(i => RenderItem(i, spec.Currency))]);
        }

        if (spec.Customer is { } c)
        {
            var detail = new JsonObject { ["given_names"] = c.IndividualDetail.GivenNames };
            Set(detail, "surname", c.IndividualDetail.Surname);
            Set(detail, "nationality", c.IndividualDetail.Nationality);
            Set(detail, "place_of_birth", c.IndividualDetail.PlaceOfBirth);
            Set(detail, "date_of_birth", c.IndividualDetail.DateOfBirth?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
            Set(detail, "gender", c.IndividualDetail.Gender?.ToString().ToUpperInvariant());
            var customer = new JsonObject { ["type"] = "INDIVIDUAL", ["reference_id"] = c.ReferenceId, ["individual_detail"] = detail };
            Set(customer, "email", c.Email);
            Set(customer, "mobile_number", c.MobileNumber);
            body["customer"] = customer;
        }

        Set(body, "customer_id", spec.CustomerId);
        Set(body, "allow_save_payment_method", spec.SaveOption);
        Set(body, "capture_method", spec.Capture);
        if (spec.Channels is { } channels)
        {
            body["allowed_payment_channels"] = new JsonArray([.. channels.Select(ch => (JsonNode)ch)]);
        }

        if (spec.ChannelProperties is { } properties)
        {
            body["channel_properties"] = JsonNode.Parse(properties);
        }

        if (spec.ExpirySeconds is { } seconds)
        {
            // Alternate the offsets: the instant is what counts.
            var at = Now.AddSeconds(seconds);
            body["expires_at"] = seconds % 2 == 0
                ? at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture)
                : at.ToOffset(TimeSpan.FromHours(7)).ToString("yyyy-MM-dd'T'HH:mm:ss.fffzzz", CultureInfo.InvariantCulture);
        }

        Set(body, "locale", spec.Locale);
        if (spec.Metadata is { } metadata)
        {
            body["metadata"] = RenderMetadata(metadata);
        }

        Set(body, "description", spec.Description);
        Set(body, "success_return_url", spec.SuccessUrl);
        Set(body, "cancel_return_url", spec.CancelUrl);
        return body;
    }

    private static JsonObject RenderItem(ItemSpec item, string currency)
    {
        var node = new JsonObject
        {
            ["reference_id"] = item.ReferenceId,
            ["name"] = item.Name,
            ["net_unit_amount"] = JsonNode.Parse(Spell(item.NetMinor, currency, (int)(item.NetMinor % 4))),
            ["quantity"] = item.Quantity,
            ["category"] = item.Category,
        };
        Set(node, "type", item.Type);
        Set(node, "url", item.Url);
        Set(node, "image_url", item.ImageUrl);
        Set(node, "subcategory", item.Subcategory);
        Set(node, "description", item.Description);
        Set(node, "currency", item.WithCurrency ? currency : null);
        if (item.Metadata is { } metadata)
        {
            node["metadata"] = RenderMetadata(metadata);
        }

        return node;
    }

    private static JsonObject RenderMetadata(IReadOnlyList<KeyValuePair<string, string>> metadata) =>
        new(metadata.Select(kv => new KeyValuePair<string, JsonNode?>(kv.Key, kv.Value)));

    private static void Set(JsonObject node, string name, string? value)
    {
        if (value is not null)
        {
            node[name] = value;
        }
    }

    private static XenditSessionCheck Parse(JsonNode body) =>
        XenditSessionRules.Check(JsonDocument.Parse(body.ToJsonString()).RootElement, Now, XenditSessionLimits.Default);

    [Fact]
    public void Any_valid_body_parses_into_exactly_its_facts_and_the_grain_accepts_its_command()
    {
        var property = Prop.ForAll(Arb.From(Valid), spec =>
        {
            var check = Parse(Render(spec));
            if (check.Create is not { } facts)
            {
                throw new InvalidOperationException($"refused: {check.Error}");
            }

            var d = facts.Details;
            var expectedItems = spec.Items?.Select(i => new XenditItem
            {
                ReferenceId = i.ReferenceId,
                Type = i.Type is null ? null : Enum.Parse<XenditItemType>(i.Type.Replace("_", "", StringComparison.Ordinal), ignoreCase: true),
                Name = i.Name,
                NetUnitAmount = XenditAmounts.ToMajor(i.NetMinor, spec.Currency),
                Quantity = i.Quantity,
                Category = i.Category,
                Subcategory = i.Subcategory,
                Description = i.Description,
                Url = i.Url,
                ImageUrl = i.ImageUrl,
                Currency = i.WithCurrency ? spec.Currency : null,
                Metadata = i.Metadata?.ToDictionary(),
            }).ToList();

            var ok = facts.ReferenceId == spec.ReferenceId
                && facts.SessionType == (spec.SessionType == "PAY" ? SessionType.Pay : SessionType.Save)
                && facts.Amount == spec.Amount
                && facts.Currency == spec.Currency
                && facts.Items.SequenceEqual(spec.Items?.Select(i => new LineItem(i.Name, i.Quantity, i.NetMinor)) ?? [])
                && facts.Description == spec.Description
                && facts.Metadata.OrderBy(kv => kv.Key, StringComparer.Ordinal).SequenceEqual((spec.Metadata ?? []).OrderBy(kv => kv.Key, StringComparer.Ordinal))
                && facts.ExpiresAt == Now.AddSeconds(spec.ExpirySeconds ?? 1800)
                && facts.Customer == spec.Customer
                && facts.CustomerId == spec.CustomerId
                && d.CustomerId is null
                && d.Mode == (spec.Mode == "COMPONENTS" ? IntegrationMode.Components : IntegrationMode.PaymentLink)
                && d.CaptureMethod == (spec.Capture is null ? null : Enum.Parse<CaptureMethod>(spec.Capture, ignoreCase: true))
                && d.AllowSavePaymentMethod == (spec.SaveOption is null ? null : Enum.Parse<SavePaymentMethod>(spec.SaveOption, ignoreCase: true))
                && d.Country == spec.Country
                && d.ChannelProperties == (spec.ChannelProperties is null ? null : JsonNode.Parse(spec.ChannelProperties)!.ToJsonString())
                && d.AllowedPaymentChannels.SequenceEqual(spec.Channels ?? [])
                && d.Locale == (spec.Locale ?? "en")
                && d.SuccessReturnUrl == spec.SuccessUrl
                && d.CancelReturnUrl == spec.CancelUrl
                && d.AmountAsSent == XenditAmounts.ToMajor(spec.Amount, spec.Currency)
                && d.AmountAsSent == decimal.Parse(spec.AmountText, NumberStyles.Float, CultureInfo.InvariantCulture)
                && d.MetadataSent == (spec.Metadata is not null)
                && (expectedItems is null ? d.Items is null : d.Items!.Count == expectedItems.Count
                    && d.Items.Zip(expectedItems).All(p => (p.First with { Metadata = null }) == (p.Second with { Metadata = null })
                        && (p.First.Metadata ?? new Dictionary<string, string>()).OrderBy(kv => kv.Key, StringComparer.Ordinal)
                            .SequenceEqual((p.Second.Metadata ?? new Dictionary<string, string>()).OrderBy(kv => kv.Key, StringComparer.Ordinal))));

            var command = facts.ToCommand("biz", false, "customer", spec.CustomerId);
            return ok && MoneyRules.Check(command, Now, command.ExpiresAt!.Value) is null;
        });

        Check.One(Config.QuickThrowOnFailure.WithMaxTest(300), property);
    }

    /// <summary>A way to break one rule of a valid body, and the code and path that must answer.</summary>
    public sealed record Mutation(string Name, Func<Spec, bool> Applies, Action<JsonObject, Spec> Apply, string Code, string Path)
    {
        public override string ToString() => Name;
    }

    private const string Ave = "API_VALIDATION_ERROR";

    private static JsonObject Item0(JsonObject body) => body["items"]![0]!.AsObject();

    private static JsonObject Detail(JsonObject body) => body["customer"]!["individual_detail"]!.AsObject();

    private static readonly Mutation[] Mutations =
    [
        new("no reference_id", _ => true, (b, _) => b.Remove("reference_id"), Ave, "/body/reference_id"),
        new("reference_id of 65", _ => true, (b, _) => b["reference_id"] = new string('r', 65), Ave, "/body/reference_id"),
        new("empty reference_id", _ => true, (b, _) => b["reference_id"] = "", Ave, "/body/reference_id"),
        new("session_type a number", _ => true, (b, _) => b["session_type"] = 1, Ave, "/body/session_type"),
        new("no session_type", _ => true, (b, _) => b.Remove("session_type"), Ave, "/body/session_type"),
        new("session_type AUTHORIZATION", _ => true, (b, _) => b["session_type"] = "AUTHORIZATION", "SESSION_TYPE_NOT_SUPPORTED", "/body/session_type"),
        new("session_type lower case", _ => true, (b, _) => b["session_type"] = "pay", "SESSION_TYPE_NOT_SUPPORTED", "/body/session_type"),
        new("no mode", _ => true, (b, _) => b.Remove("mode"), Ave, "/body/mode"),
        new("mode CARDS_SESSION_JS", _ => true, (b, _) => b["mode"] = "CARDS_SESSION_JS", "MODE_NOT_SUPPORTED", "/body/mode"),
        new("no currency", _ => true, (b, _) => b.Remove("currency"), Ave, "/body/currency"),
        new("currency EUR", _ => true, (b, _) => b["currency"] = "EUR", "INVALID_CURRENCY", "/body/currency"),
        new("no country", _ => true, (b, _) => b.Remove("country"), Ave, "/body/country"),
        new("country US", _ => true, (b, _) => b["country"] = "US", "INVALID_COUNTRY", "/body/country"),
        new("no amount", _ => true, (b, _) => b.Remove("amount"), Ave, "/body/amount"),
        new("amount a string", _ => true, (b, s) => b["amount"] = s.AmountText, Ave, "/body/amount"),
        new("amount negative", _ => true, (b, _) => b["amount"] = JsonNode.Parse("-1"), Ave, "/body/amount"),
        new("amount beyond a long", _ => true, (b, _) => b["amount"] = JsonNode.Parse("1e30"), Ave, "/body/amount"),
        new("amount one decimal too many", _ => true, (b, s) => b["amount"] = JsonNode.Parse(OneDecimalTooMany(s)), "INVALID_AMOUNT", "/body/amount"),
        new("customer_id without cust-", s => s.Customer is null, (b, _) => b["customer_id"] = "b98d6f63-d240-44ec-9bd5-aa42954c4f48-cust-", "INVALID_CUSTOMER_ID", "/body/customer_id"),
        new("customer_id upper case", s => s.Customer is null, (b, _) => b["customer_id"] = Uuid.ToUpperInvariant().Replace("CUST-", "cust-", StringComparison.Ordinal), "INVALID_CUSTOMER_ID", "/body/customer_id"),
        new("customer_id a number", s => s.Customer is null, (b, _) => b["customer_id"] = 41, Ave, "/body/customer_id"),
        new("customer and customer_id", s => s.Customer is not null, (b, _) => b["customer_id"] = Uuid, Ave, "/body/customer_id"),
        new("no customer for SAVE", s => s.SessionType == "SAVE", (b, _) => { b.Remove("customer"); b.Remove("customer_id"); }, "MISSING_CUSTOMER", "/body/customer"),
        new("no customer for FORCED", s => s.SessionType == "PAY", (b, _) => { b.Remove("customer"); b.Remove("customer_id"); b["allow_save_payment_method"] = "FORCED"; }, "MISSING_CUSTOMER", "/body/customer"),
        new("customer type BUSINESS", s => s.Customer is not null, (b, _) => b["customer"]!["type"] = "BUSINESS", Ave, "/body/customer/type"),
        new("customer without reference_id", s => s.Customer is not null, (b, _) => b["customer"]!.AsObject().Remove("reference_id"), Ave, "/body/customer/reference_id"),
        new("email of 51", s => s.Customer is not null, (b, _) => b["customer"]!["email"] = new string('e', 42) + "@mail.com", Ave, "/body/customer/email"),
        new("email without @", s => s.Customer is not null, (b, _) => b["customer"]!["email"] = "not-an-email", Ave, "/body/customer/email"),
        new("mobile not E.164", s => s.Customer is not null, (b, _) => b["customer"]!["mobile_number"] = "081234567", Ave, "/body/customer/mobile_number"),
        new("no individual_detail", s => s.Customer is not null, (b, _) => b["customer"]!.AsObject().Remove("individual_detail"), Ave, "/body/customer/individual_detail"),
        new("no given_names", s => s.Customer is not null, (b, _) => Detail(b).Remove("given_names"), Ave, "/body/customer/individual_detail/given_names"),
        new("given_names of 51", s => s.Customer is not null, (b, _) => Detail(b)["given_names"] = new string('g', 51), Ave, "/body/customer/individual_detail/given_names"),
        new("surname of 51", s => s.Customer is not null, (b, _) => Detail(b)["surname"] = new string('s', 51), Ave, "/body/customer/individual_detail/surname"),
        new("nationality of 3", s => s.Customer is not null, (b, _) => Detail(b)["nationality"] = "IDN", Ave, "/body/customer/individual_detail/nationality"),
        new("place_of_birth of 61", s => s.Customer is not null, (b, _) => Detail(b)["place_of_birth"] = new string('p', 61), Ave, "/body/customer/individual_detail/place_of_birth"),
        new("date_of_birth not a date", s => s.Customer is not null, (b, _) => Detail(b)["date_of_birth"] = "2001-02-29", Ave, "/body/customer/individual_detail/date_of_birth"),
        new("gender unknown", s => s.Customer is not null, (b, _) => Detail(b)["gender"] = "UNKNOWN", Ave, "/body/customer/individual_detail/gender"),
        new("allow_save ALWAYS", _ => true, (b, _) => b["allow_save_payment_method"] = "ALWAYS", Ave, "/body/allow_save_payment_method"),
        new("capture_method unknown", _ => true, (b, _) => b["capture_method"] = "LATER", Ave, "/body/capture_method"),
        new("capture_method on SAVE", s => s.SessionType == "SAVE", (b, _) => b["capture_method"] = "MANUAL", "DISALLOWED_CAPTURE_METHOD", "/body/capture_method"),
        new("items on SAVE", s => s.SessionType == "SAVE", (b, _) => b["items"] = new JsonArray(), "ITEMS_NOT_SUPPORTED", "/body/items"),
        new("items an object", _ => true, (b, _) => b["items"] = new JsonObject(), Ave, "/body/items"),
        new("item quantity 0", s => s.Items is { Count: > 0 }, (b, _) => Item0(b)["quantity"] = 0, Ave, "/body/items/0/quantity"),
        new("item quantity 1.5", s => s.Items is { Count: > 0 }, (b, _) => Item0(b)["quantity"] = 1.5m, Ave, "/body/items/0/quantity"),
        new("item without name", s => s.Items is { Count: > 0 }, (b, _) => Item0(b).Remove("name"), Ave, "/body/items/0/name"),
        new("item without category", s => s.Items is { Count: > 0 }, (b, _) => Item0(b).Remove("category"), Ave, "/body/items/0/category"),
        new("item type unknown", s => s.Items is { Count: > 0 }, (b, _) => Item0(b)["type"] = "SERVICE", Ave, "/body/items/0/type"),
        new("item net_unit_amount a string", s => s.Items is { Count: > 0 }, (b, _) => Item0(b)["net_unit_amount"] = "5000", Ave, "/body/items/0/net_unit_amount"),
        new("item net_unit_amount decimals", s => s.Items is { Count: > 0 }, (b, s) => Item0(b)["net_unit_amount"] = JsonNode.Parse($"1.{new string('0', XenditAmounts.Decimals[s.Currency])}1"), "INVALID_AMOUNT", "/body/items/0/net_unit_amount"),
        new("item currency EUR", s => s.Items is { Count: > 0 }, (b, _) => Item0(b)["currency"] = "EUR", "INVALID_CURRENCY", "/body/items/0/currency"),
        new("item url ftp", s => s.Items is { Count: > 0 }, (b, _) => Item0(b)["url"] = "ftp://example.com/item", "INVALID_URL", "/body/items/0/url"),
        new("item image_url relative", s => s.Items is { Count: > 0 }, (b, _) => Item0(b)["image_url"] = "/img.png", "INVALID_URL", "/body/items/0/image_url"),
        new("item description of 256", s => s.Items is { Count: > 0 }, (b, _) => Item0(b)["description"] = new string('d', 256), Ave, "/body/items/0/description"),
        new("item metadata value of 81", s => s.Items is { Count: > 0 }, (b, _) => Item0(b)["metadata"] = new JsonObject { ["k"] = new string('v', 81) }, "INVALID_ITEM_METADATA", "/body/items/0/metadata/k"),
        new("item metadata of 21 keys", s => s.Items is { Count: > 0 }, (b, _) => Item0(b)["metadata"] = new JsonObject(Enumerable.Range(0, 21).Select(i => new KeyValuePair<string, JsonNode?>($"k{i}", "v"))), "INVALID_ITEM_METADATA", "/body/items/0/metadata"),
        new("metadata an array", _ => true, (b, _) => b["metadata"] = new JsonArray(), Ave, "/body/metadata"),
        new("metadata of 21 keys", _ => true, (b, _) => b["metadata"] = new JsonObject(Enumerable.Range(0, 21).Select(i => new KeyValuePair<string, JsonNode?>($"k{i}", "v"))), "INVALID_METADATA", "/body/metadata"),
        new("metadata key of 41", _ => true, (b, _) => b["metadata"] = new JsonObject { [new string('k', 41)] = "v" }, "INVALID_METADATA", "/body/metadata"),
        new("metadata value of 81", _ => true, (b, _) => b["metadata"] = new JsonObject { ["k"] = new string('v', 81) }, "INVALID_METADATA", "/body/metadata/k"),
        new("metadata value a number", _ => true, (b, _) => b["metadata"] = new JsonObject { ["k"] = 1 }, "INVALID_METADATA", "/body/metadata/k"),
        new("description empty", _ => true, (b, _) => b["description"] = "", Ave, "/body/description"),
        new("description of 1001", _ => true, (b, _) => b["description"] = new string('d', 1001), Ave, "/body/description"),
        new("locale eng", _ => true, (b, _) => b["locale"] = "eng", Ave, "/body/locale"),
        new("channels a string", _ => true, (b, _) => b["allowed_payment_channels"] = "CARDS", Ave, "/body/allowed_payment_channels"),
        new("channel a number", _ => true, (b, _) => b["allowed_payment_channels"] = new JsonArray(1), Ave, "/body/allowed_payment_channels/0"),
        new("channel_properties an array", _ => true, (b, _) => b["channel_properties"] = new JsonArray(), Ave, "/body/channel_properties"),
        new("success url http", _ => true, (b, _) => b["success_return_url"] = "http://yourcompany.com/success", "INVALID_URL", "/body/success_return_url"),
        new("cancel url not a url", _ => true, (b, _) => b["cancel_return_url"] = "yourcompany.com/cancel", "INVALID_URL", "/body/cancel_return_url"),
        new("expires_at without offset", _ => true, (b, _) => b["expires_at"] = "2026-12-01T10:20:00", Ave, "/body/expires_at"),
        new("expires_at not a date", _ => true, (b, _) => b["expires_at"] = "tomorrow", Ave, "/body/expires_at"),
        new("expires_at in 9:59", _ => true, (b, _) => b["expires_at"] = "2026-12-01T10:09:59Z", "INVALID_EXPIRY_DATE", "/body/expires_at"),
        new("expires_at in the past", _ => true, (b, _) => b["expires_at"] = "2021-12-31T23:59:59Z", "INVALID_EXPIRY_DATE", "/body/expires_at"),
        new("expires_at in 30:01", _ => true, (b, _) => b["expires_at"] = "2026-12-01T10:30:01Z", "INVALID_EXPIRY_DATE", "/body/expires_at"),
    ];

    // The amount with one more decimal place than its currency has, the last one not zero.
    private static string OneDecimalTooMany(Spec spec)
    {
        var major = XenditAmounts.ToMajor(spec.Amount, spec.Currency).ToString(CultureInfo.InvariantCulture);
        return major.Contains('.', StringComparison.Ordinal) ? major + "1" : major + ".1";
    }

    [Fact]
    public void Any_single_mutation_into_a_violation_answers_exactly_its_code_and_path()
    {
        var cases =
            from spec in Valid
            from mutation in Gen.Elements(Mutations.Where(m => m.Applies(spec)).ToArray())
            select (spec, mutation);

        var property = Prop.ForAll(Arb.From(cases), c =>
        {
            var body = Render(c.spec);
            c.mutation.Apply(body, c.spec);
            var error = Parse(body).Error;
            return error is not null && error.ErrorCode == c.mutation.Code && error.Path == c.mutation.Path
                && (error.FieldMessage is not null) == (c.mutation.Code == Ave);
        });

        Check.One(Config.QuickThrowOnFailure.WithMaxTest(1500), property);
    }

    [Fact]
    public void Every_mutation_is_tried_on_some_body()
    {
        // The generator reaches each mutation (none is dead code in the property above).
        var specs = Gen.Sample(Valid, 400);
        Assert.All(Mutations, m => Assert.Contains(specs, s => m.Applies(s)));
    }

    private static readonly string[] Keys =
    [
        "reference_id", "session_type", "mode", "currency", "country", "amount", "customer", "customer_id", "type",
        "individual_detail", "given_names", "items", "quantity", "net_unit_amount", "name", "category", "metadata",
        "expires_at", "locale", "url", "allowed_payment_channels", "channel_properties", "success_return_url", "x",
        "capture_method", "allow_save_payment_method", "gender", "email", "mobile_number", "date_of_birth", "image_url",
        "description", "item_type",
    ];

    private static Gen<JsonNode?> AnyJson(int depth)
    {
        var leaves = Gen.OneOf(
            Gen.Constant<JsonNode?>(null),
            Gen.Elements<JsonNode?>(JsonValue.Create(true), JsonValue.Create(false)),
            Gen.Elements("-1", "0", "1e400", "-0", "0.0001", "12345678901234567890123", "1E-999999999999", "5000").Select(n => JsonNode.Parse(n)),
            Gen.Elements("", "PAY", "SAVE", "IDR", "PHP", "ID", "PAYMENT_LINK", "INDIVIDUAL", "cust-", Uuid, "https://x.co", "2026-12-01T10:20:00Z", "\u0000", "\ud800", "en").Select(s => (JsonNode?)JsonValue.Create(s)));
        if (depth == 0)
        {
            return leaves;
        }

        var inner = AnyJson(depth - 1);
        var arrays = Gen.ListOf(inner, 3).Select(l => (JsonNode?)new JsonArray([.. l.Select(n => n?.DeepClone())]));
        var objects =
            from count in Gen.Choose(0, 6)
            from keys in Gen.ArrayOf(Gen.Elements(Keys), count)
            from values in Gen.ArrayOf(inner, count)
            select (JsonNode?)new JsonObject(keys.Distinct().Select((k, i) => new KeyValuePair<string, JsonNode?>(k, values[i]?.DeepClone())));
        return Gen.Frequency((2, leaves), (1, arrays), (3, objects));
    }

    [Fact]
    public void No_json_at_all_makes_the_rules_throw()
    {
        // Random trees, and valid bodies with one field replaced by a random value.
        var bodies = Gen.OneOf(
            AnyJson(3).Select(n => n?.ToJsonString() ?? "null"),
            from spec in Valid
            from key in Gen.Elements(Keys)
            from value in AnyJson(2)
            select Replace(Render(spec), key, value));

        var property = Prop.ForAll(Arb.From(bodies), json =>
        {
            var check = XenditSessionRules.Check(JsonDocument.Parse(json).RootElement, Now, XenditSessionLimits.Default);
            return (check.Create is null) != (check.Error is null);
        });

        Check.One(Config.QuickThrowOnFailure.WithMaxTest(2000), property);
    }

    private static string Replace(JsonObject body, string key, JsonNode? value)
    {
        var target = key switch
        {
            "given_names" or "gender" or "date_of_birth" when body["customer"] is JsonObject c => c["individual_detail"]!.AsObject(),
            "email" or "mobile_number" when body["customer"] is JsonObject c => c,
            "quantity" or "net_unit_amount" or "name" or "category" or "url" or "image_url" or "item_type" when body["items"] is JsonArray { Count: > 0 } items => items[0]!.AsObject(),
            "type" or "individual_detail" when body["customer"] is JsonObject c => c,
            _ => body,
        };
        target[key == "item_type" ? "type" : key] = value?.DeepClone();
        return body.ToJsonString();
    }
}
