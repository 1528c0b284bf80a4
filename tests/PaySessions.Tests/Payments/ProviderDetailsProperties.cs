using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using FsCheck;
using FsCheck.Fluent;
using PaySessions.Grains.Payments;
using PaySessions.Grains.Sessions;

namespace PaySessions.Tests.Payments;

/// <summary>
/// What a provider may say about the payer and the means of payment, over generated blocks: a
/// well-formed block is recorded exactly as sent; a block with one broken field is dropped whole;
/// and whatever JSON arrives, nothing throws and nothing recorded breaks a rule (lengths, control
/// characters, last4, month, year, country). Also the payer's user agent: bounded and clean.
/// </summary>
public sealed class ProviderDetailsProperties
{
    private static readonly JsonSerializerOptions Json = ProviderWebhookMessage.Json;

    // Letters of several scripts, a character outside the BMP, digits, spaces and punctuation.
    private static readonly Gen<string> Piece = Gen.Elements(
        "a", "Z", "é", "ß", "名", "Ж", "😀", "7", " ", "-", "'", ".", ",", "#", "&");

    [Fact]
    public void A_well_formed_block_is_recorded_exactly_as_the_provider_sent_it()
    {
        var property = Prop.ForAll(Arb.From(Customers()), Arb.From(Payments()), (customer, payment) =>
        {
            var readCustomer = ProviderDetailsReader.Customer(JsonSerializer.SerializeToElement(customer, Json), out var badCustomer);
            var readPayment = ProviderDetailsReader.Payment(JsonSerializer.SerializeToElement(payment, Json), out var badPayment);

            var expectedCustomer = customer is { Name: null, Email: null, Phone: null, Address: null } ? null : customer;
            return !badCustomer && !badPayment && readCustomer == expectedCustomer && readPayment == payment;
        });

        Check.One(Config.QuickThrowOnFailure.WithMaxTest(300), property);
    }

    [Fact]
    public void A_block_with_one_broken_field_is_dropped_whole()
    {
        var customerBreaks = Gen.Elements<Action<JsonObject>>(
            c => c["name"] = new string('n', ProviderDetailsReader.MaxTextLength + 1),
            c => c["name"] = "Jenny\u0001Rosen",
            c => c["name"] = 42,
            c => c["email"] = "jenny.example.com",
            c => c["email"] = "jenny@",
            c => c["email"] = "jen ny@example.com",
            c => c["phone"] = "call me",
            c => c["address"] = "510 Townsend St",
            c => c["address"] = new JsonObject { ["country"] = "USA" },
            c => c["address"] = new JsonObject { ["postal_code"] = new string('9', ProviderDetailsReader.MaxPostalCodeLength + 1) },
            c => c["address"] = new JsonObject { ["city"] = new JsonArray() });
        var paymentBreaks = Gen.Elements<Action<JsonObject>>(
            p => p.Remove("type"),
            p => p["type"] = "",
            p => p["type"] = "card!",
            p => p["type"] = 7,
            p => p["type"] = new string('c', ProviderDetailsReader.MaxTypeLength + 1),
            p => p["card"] = "visa",
            p => p["card"] = new JsonArray(),
            p => p["card"] = new JsonObject { ["last4"] = "424" },
            p => p["card"] = new JsonObject { ["last4"] = "42424" },
            p => p["card"] = new JsonObject { ["last4"] = "42a2" },
            p => p["card"] = new JsonObject { ["last4"] = "٤٢٤٢" },
            p => p["card"] = new JsonObject { ["last4"] = 4242 },
            p => p["card"] = new JsonObject { ["exp_month"] = 0 },
            p => p["card"] = new JsonObject { ["exp_month"] = 13 },
            p => p["card"] = new JsonObject { ["exp_month"] = 3.5 },
            p => p["card"] = new JsonObject { ["exp_month"] = "3" },
            p => p["card"] = new JsonObject { ["exp_year"] = 31 },
            p => p["card"] = new JsonObject { ["exp_year"] = 10000 },
            p => p["card"] = new JsonObject { ["country"] = "GBR" },
            p => p["card"] = new JsonObject { ["brand"] = new string('b', ProviderDetailsReader.MaxBrandLength + 1) });

        var cases = from customer in Customers()
                    from breakCustomer in customerBreaks
                    from payment in Payments()
                    from breakPayment in paymentBreaks
                    select (customer, breakCustomer, payment, breakPayment);
        var property = Prop.ForAll(
            Arb.From(cases),
            ((ProviderCustomerDetails Customer, Action<JsonObject> BreakCustomer, ProviderPaymentDetails Payment, Action<JsonObject> BreakPayment) broken) =>
            {
                var (customer, breakCustomer, payment, breakPayment) = broken;
                var customerJson = JsonSerializer.SerializeToNode(customer, Json)!.AsObject();
                var paymentJson = JsonSerializer.SerializeToNode(payment, Json)!.AsObject();
                breakCustomer(customerJson);
                breakPayment(paymentJson);

                var readCustomer = ProviderDetailsReader.Customer(JsonSerializer.SerializeToElement(customerJson), out var badCustomer);
                var readPayment = ProviderDetailsReader.Payment(JsonSerializer.SerializeToElement(paymentJson), out var badPayment);
                return badCustomer && readCustomer is null && badPayment && readPayment is null;
            });

        Check.One(Config.QuickThrowOnFailure.WithMaxTest(300), property);
    }

    [Fact]
    public void Whatever_json_a_provider_sends_nothing_throws_and_nothing_recorded_breaks_a_rule()
    {
        var property = Prop.ForAll(Arb.From(AnyJson(3)), Arb.From(AnyJson(3)), (customerNode, paymentNode) =>
        {
            var customer = ProviderDetailsReader.Customer(Element(customerNode), out var badCustomer);
            var payment = ProviderDetailsReader.Payment(Element(paymentNode), out var badPayment);

            return (!badCustomer || customer is null)
                && (!badPayment || payment is null)
                && (customer is null || Obeys(customer))
                && (payment is null || Obeys(payment));
        });

        Check.One(Config.QuickThrowOnFailure.WithMaxTest(1000), property);
    }

    [Fact]
    public void A_user_agent_is_kept_clean_and_at_most_512_characters()
    {
        var agents = Gen.OneOf(
            Gen.ListOf(Gen.Elements("Mozilla/5.0 ", "(X11; Linux)", "é", "😀", "\u0000", "\t", "\u007f", "\ud800", "\udc00", " ", "x"))
                .Select(parts => string.Concat(parts)),
            Gen.Choose(500, 530).Select(n => "a😀" + new string('b', n)),
            ArbMap.Default.GeneratorFor<string>());

        var property = Prop.ForAll(Arb.From(agents), agent =>
        {
            var kept = PayerFacts.UserAgent(agent);
            if (kept is null)
            {
                return agent is null || agent.All(c => char.IsControl(c) || char.IsWhiteSpace(c) || char.IsSurrogate(c));
            }

            var clean = Clean(agent!);
            return kept.Length <= PayerFacts.MaxUserAgentLength
                && kept.Length > 0
                && kept == kept.Trim()
                && kept.EnumerateRunes().All(r => !Rune.IsControl(r) && r != Rune.ReplacementChar)
                && clean.Contains(kept, StringComparison.Ordinal)
                && (clean.Trim().Length > PayerFacts.MaxUserAgentLength || kept == clean.Trim());
        });

        Check.One(Config.QuickThrowOnFailure.WithMaxTest(500), property);
    }

    // The input without what is never kept: control characters and unpaired surrogates.
    private static string Clean(string text)
    {
        var kept = new StringBuilder();
        for (var i = 0; i < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                kept.Append(text, i, 2);
                i++;
            }
            else if (!char.IsSurrogate(text[i]) && !char.IsControl(text[i]))
            {
                kept.Append(text[i]);
            }
        }

        return kept.ToString();
    }

    private static bool Obeys(ProviderCustomerDetails c) =>
        Text(c.Name, ProviderDetailsReader.MaxTextLength)
        && Text(c.Email, ProviderDetailsReader.MaxEmailLength) && (c.Email is null || c.Email.Contains('@', StringComparison.Ordinal))
        && Text(c.Phone, ProviderDetailsReader.MaxPhoneLength)
        && (c.Address is null
            || (Text(c.Address.Line1, ProviderDetailsReader.MaxTextLength) && Text(c.Address.Line2, ProviderDetailsReader.MaxTextLength)
                && Text(c.Address.City, ProviderDetailsReader.MaxTextLength) && Text(c.Address.State, ProviderDetailsReader.MaxTextLength)
                && Text(c.Address.PostalCode, ProviderDetailsReader.MaxPostalCodeLength) && Country(c.Address.Country)));

    private static bool Obeys(ProviderPaymentDetails p) =>
        p.Type is { Length: > 0 and <= ProviderDetailsReader.MaxTypeLength }
        && p.Type.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '_' or '-')
        && (p.Card is null
            || (Text(p.Card.Brand, ProviderDetailsReader.MaxBrandLength)
                && (p.Card.Last4 is null || (p.Card.Last4.Length == 4 && p.Card.Last4.All(char.IsAsciiDigit)))
                && p.Card.ExpMonth is null or (>= 1 and <= 12)
                && p.Card.ExpYear is null or (>= 1000 and <= 9999)
                && Country(p.Card.Country)));

    private static bool Text(string? text, int max) =>
        text is null || (text.Length > 0 && text.EnumerateRunes().Count() <= max && !text.EnumerateRunes().Any(Rune.IsControl));

    private static bool Country(string? country) => country is null || (country.Length == 2 && country.All(char.IsAsciiLetterUpper));

    private static JsonElement? Element(JsonNode? node) => node is null ? null : JsonSerializer.SerializeToElement(node);

    private static Gen<string> CleanText(int max) =>
        from count in Gen.Choose(1, Math.Min(max, 12))
        from pieces in Gen.ArrayOf(Piece, count)
        select string.Concat(pieces);

    private static Gen<string?> Optional(Gen<string> gen) => Gen.Frequency((1, Gen.Constant<string?>(null)), (3, gen.Select(s => (string?)s)));

    private static Gen<string> Word(int min, int max) =>
        from length in Gen.Choose(min, max)
        from chars in Gen.ArrayOf(Gen.Elements("abcdefghijklmnopqrstuvwxyz0123456789".ToCharArray()), length)
        select new string(chars);

    private static Gen<string> CountryCode() =>
        Gen.ArrayOf(Gen.Elements("ABCDEFGHIJKLMNOPQRSTUVWXYZ".ToCharArray()), 2).Select(c => new string(c));

    private static Gen<ProviderCustomerDetails> Customers() =>
        from name in Optional(CleanText(ProviderDetailsReader.MaxTextLength))
        from email in Optional(from local in Word(1, 20) from domain in Word(1, 20) select $"{local}@{domain}.test")
        from phone in Optional(Gen.ArrayOf(Gen.Elements("0123456789+- ()".ToCharArray()), 10).Select(c => new string(c)))
        from hasAddress in Gen.Elements(true, false)
        from line1 in Optional(CleanText(ProviderDetailsReader.MaxTextLength))
        from line2 in Optional(CleanText(ProviderDetailsReader.MaxTextLength))
        from city in Optional(CleanText(ProviderDetailsReader.MaxTextLength))
        from state in Optional(CleanText(ProviderDetailsReader.MaxTextLength))
        from postal in Optional(Word(1, ProviderDetailsReader.MaxPostalCodeLength))
        from country in Optional(CountryCode())
        let address = new ProviderAddress { Line1 = line1, Line2 = line2, City = city, State = state, PostalCode = postal, Country = country }
        select new ProviderCustomerDetails
        {
            Name = name,
            Email = email,
            Phone = phone?.Trim() is { Length: > 0 } p ? phone : null,
            Address = hasAddress && address != new ProviderAddress() ? address : null,
        };

    private static Gen<ProviderPaymentDetails> Payments() =>
        from type in Gen.Elements("card", "wallet", "bank_transfer", "va", "crypto-btc")
        from hasCard in Gen.Elements(true, false)
        from brand in Optional(Gen.Elements("visa", "mastercard", "amex", "JCB", "Carte Bancaire"))
        from last4 in Optional(Gen.ArrayOf(Gen.Elements("0123456789".ToCharArray()), 4).Select(c => new string(c)))
        from month in Gen.Frequency((1, Gen.Constant<int?>(null)), (3, Gen.Choose(1, 12).Select(m => (int?)m)))
        from year in Gen.Frequency((1, Gen.Constant<int?>(null)), (3, Gen.Choose(ProviderDetailsReader.MinExpYear, ProviderDetailsReader.MaxExpYear).Select(y => (int?)y)))
        from country in Optional(CountryCode())
        let card = new ProviderCard { Brand = brand, Last4 = last4, ExpMonth = month, ExpYear = year, Country = country }
        select new ProviderPaymentDetails { Type = type, Card = hasCard && card != new ProviderCard() ? card : null };

    // Any JSON at all, with the field names a details block has, so the reader's paths are walked.
    private static Gen<JsonNode?> AnyJson(int depth)
    {
        var names = Gen.Elements(
            "name", "email", "phone", "address", "line1", "line2", "city", "state", "postal_code", "country",
            "type", "card", "brand", "last4", "exp_month", "exp_year", "other");
        var leaf = Gen.OneOf(
            Gen.Constant<JsonNode?>(null),
            Gen.Elements(true, false).Select(b => (JsonNode?)JsonValue.Create(b)),
            Gen.Elements(0, 1, 4, 12, 13, 2030, 4242, -1, int.MaxValue).Select(n => (JsonNode?)JsonValue.Create(n)),
            Gen.Elements(0.5, 12.0, 1e40).Select(d => (JsonNode?)JsonValue.Create(d)),
            Gen.Elements("", "4242", "42a2", "US", "usa", "card", "visa", "a@b", "\u0000", "\u001f", "x\ny", new string('w', 300), "😀").Select(s => (JsonNode?)JsonValue.Create(s)),
            ArbMap.Default.GeneratorFor<string>().Where(s => s is not null && !s.Any(char.IsSurrogate)).Select(s => (JsonNode?)JsonValue.Create(s)));
        if (depth == 0)
        {
            return leaf;
        }

        var inner = AnyJson(depth - 1);
        var obj = from count in Gen.Choose(0, 5)
                  from keys in Gen.ArrayOf(names, count)
                  from values in Gen.ArrayOf(inner, count)
                  select (JsonNode?)Object(keys, values);
        var array = from count in Gen.Choose(0, 3)
                    from values in Gen.ArrayOf(inner, count)
                    select (JsonNode?)new JsonArray([.. values]);
        return Gen.Frequency((2, leaf), (4, obj), (1, array));
    }

    private static JsonObject Object(string[] keys, JsonNode?[] values)
    {
        var result = new JsonObject();
        for (var i = 0; i < keys.Length; i++)
        {
            result[keys[i]] = values[i];
        }

        return result;
    }
}
