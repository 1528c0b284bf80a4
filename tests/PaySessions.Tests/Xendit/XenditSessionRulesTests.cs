using System.Text.Json;
using PaySessions.Api.Xendit;
using PaySessions.Grains.Customers;
using PaySessions.Grains.Sessions;
using PaySessions.Tests.Infrastructure;

namespace PaySessions.Tests.Xendit;

/// <summary>
/// The seed's three request examples parse verbatim, and each catalogue code the body rules can
/// reach answers with the seed's words at its field.
/// </summary>
public sealed class XenditSessionRulesTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 1, 10, 0, 0, TimeSpan.Zero);

    [Fact]
    public void The_seeds_one_time_payment_example_parses_with_its_items_in_minor_units()
    {
        var facts = Parse(XenditSeedExamples.Pay);

        Assert.Equal("order_12345_PAY", facts.ReferenceId);
        Assert.Equal(SessionType.Pay, facts.SessionType);
        Assert.Equal(1_000_000L, facts.Amount);
        Assert.Equal("PHP", facts.Currency);
        Assert.Equal([new LineItem("Clothes", 1, 500_000), new LineItem("Pants", 1, 500_000)], facts.Items);
        Assert.Equal("Sample one-time payment using Payment Session", facts.Description);
        Assert.Empty(facts.Metadata);
        Assert.Equal(Now.AddMinutes(30), facts.ExpiresAt);
        Assert.Null(facts.CustomerId);
        Assert.Equal("cust_Lorem_Ipsum", facts.Customer!.ReferenceId);
        Assert.Equal("+6212345678", facts.Customer.MobileNumber);
        Assert.Equal("test@yourdomain.com", facts.Customer.Email);
        Assert.Equal(new IndividualDetail { GivenNames = "Lorem", Surname = "Ipsum" }, facts.Customer.IndividualDetail);

        var details = facts.Details;
        Assert.Equal(IntegrationMode.PaymentLink, details.Mode);
        Assert.Equal(CaptureMethod.Automatic, details.CaptureMethod);
        Assert.Null(details.AllowSavePaymentMethod);
        Assert.Equal("PH", details.Country);
        Assert.Equal(10000m, details.AmountAsSent);
        Assert.Equal("en", details.Locale);
        Assert.Equal("https://yourcompany.com/success/example_item=my_item", details.SuccessReturnUrl);
        Assert.Equal("https://yourcompany.com/cancel/example_item=my_item", details.CancelReturnUrl);
        Assert.False(details.MetadataSent);
        Assert.Empty(details.AllowedPaymentChannels);
        Assert.Null(details.ChannelProperties);
        var item = Assert.IsType<XenditItem>(details.Items![0]);
        Assert.Equal(
            new XenditItem
            {
                ReferenceId = "item_001",
                Name = "Clothes",
                Description = "Red clothes",
                Type = XenditItemType.PhysicalProduct,
                Category = "CLOTHES",
                NetUnitAmount = 5000m,
                Quantity = 1,
                Currency = "PHP",
                Url = "https://example.com/item",
            },
            item);
    }

    [Fact]
    public void The_seeds_pay_and_save_example_parses_with_its_customer()
    {
        var facts = Parse(XenditSeedExamples.PayAndSave);

        Assert.Equal(("order_123456_SAVE", SessionType.Pay, 10_000L, "IDR"), (facts.ReferenceId, facts.SessionType, facts.Amount, facts.Currency));
        Assert.Equal(SavePaymentMethod.Optional, facts.Details.AllowSavePaymentMethod);
        Assert.Equal("ID", facts.Details.Country);
        Assert.Empty(facts.Items);
        Assert.Null(facts.Details.Items);
        Assert.Equal("cust_Lorem_Ipsum", facts.Customer!.ReferenceId);
    }

    [Fact]
    public void The_seeds_save_payment_method_example_parses_as_a_save_of_nothing()
    {
        var facts = Parse(XenditSeedExamples.Save);

        Assert.Equal((SessionType.Save, 0L, "IDR"), (facts.SessionType, facts.Amount, facts.Currency));
        Assert.Null(facts.Details.CaptureMethod);
        Assert.Equal("Insurance Plan Registration", facts.Description);
    }

    [Theory]
    [InlineData(XenditSeedExamples.Pay)]
    [InlineData(XenditSeedExamples.PayAndSave)]
    [InlineData(XenditSeedExamples.Save)]
    public void The_seeds_examples_hold_the_session_grains_rules_of_money(string json)
    {
        var facts = Parse(json);
        var command = facts.ToCommand("biz", livemode: false, "cust-00000000-0000-4000-8000-000000000000", "cust-00000000-0000-4000-8000-000000000000");

        Assert.Null(MoneyRules.Check(command, Now, command.ExpiresAt!.Value));
        Assert.Equal(SessionDialect.Xendit, command.Dialect);
        Assert.Equal("cust-00000000-0000-4000-8000-000000000000", command.Xendit!.CustomerId);
    }

    [Theory]
    [InlineData("""{"session_type":null}""", "API_VALIDATION_ERROR", "/body/session_type", "request/body must have required property 'session_type'")]
    [InlineData("""[]""", "API_VALIDATION_ERROR", "/body", "request/body must be object")]
    [InlineData("""{"session_type":"AUTHORIZATION"}""", "SESSION_TYPE_NOT_SUPPORTED", "/body/session_type", "session_type AUTHORIZATION is not supported for now")]
    [InlineData("""{"mode":"INVALID_MODE"}""", "MODE_NOT_SUPPORTED", "/body/mode", "mode INVALID_MODE is not supported for now")]
    [InlineData("""{"currency":"EUR"}""", "INVALID_CURRENCY", "/body/currency", "The provided currency is not supported")]
    [InlineData("""{"country":"US"}""", "INVALID_COUNTRY", "/body/country", "The provided country is not supported")]
    [InlineData("""{"amount":10000.5}""", "INVALID_AMOUNT", "/body/amount", "Amount must not have decimal places for currency IDR")]
    [InlineData("""{"customer":null,"customer_id":"b98d6f63-d240-44ec-9bd5-aa42954c4f48-abcde"}""", "INVALID_CUSTOMER_ID", "/body/customer_id", "Customer ID must start with \"cust-\"")]
    [InlineData("""{"customer":null}""", "MISSING_CUSTOMER", "/body/customer", "Customer object or customer_id is required")]
    [InlineData("""{"capture_method":"AUTOMATIC"}""", "DISALLOWED_CAPTURE_METHOD", "/body/capture_method", "Capture method is not supported for session type SAVE")]
    [InlineData("""{"items":[]}""", "ITEMS_NOT_SUPPORTED", "/body/items", "Items are allowed for session type PAY only")]
    [InlineData("""{"metadata":{"k":"012345678901234567890123456789012345678901234567890123456789012345678901234567890"}}""", "INVALID_METADATA", "/body/metadata/k", "Metadata value must have at most 80 characters")]
    [InlineData("""{"success_return_url":"http://yourcompany.com/success"}""", "INVALID_URL", "/body/success_return_url", "Please provide a valid HTTPS URL")]
    [InlineData("""{"expires_at":"2026-12-01T10:09:59Z"}""", "INVALID_EXPIRY_DATE", "/body/expires_at", "expires_at must be at least 10 minutes in the future")]
    [InlineData("""{"expires_at":"2026-12-01T17:30:01+07:00"}""", "INVALID_EXPIRY_DATE", "/body/expires_at", "expires_at must be at most 30 minutes in the future")]
    public void Each_catalogue_code_answers_at_its_field_in_the_seeds_words(string change, string code, string path, string message)
    {
        var error = Refuse(Merge(XenditSeedExamples.Save, change));

        Assert.Equal((code, path, message), (error.ErrorCode, error.Path, error.Message));
        Assert.Equal(code == "API_VALIDATION_ERROR", error.FieldMessage is not null);
    }

    [Fact]
    public void Item_metadata_over_its_limit_is_invalid_item_metadata()
    {
        var body = Merge(XenditSeedExamples.Pay, """{"items":[{"reference_id":"i","name":"n","net_unit_amount":10000,"quantity":1,"category":"c","metadata":{"a":"012345678901234567890123456789012345678901234567890123456789012345678901234567890"}}]}""");

        var error = Refuse(body);

        Assert.Equal(("INVALID_ITEM_METADATA", "/body/items/0/metadata/a", "Metadata value must have at most 80 characters"), (error.ErrorCode, error.Path, error.Message));
    }

    [Fact]
    public void A_missing_required_field_is_worded_as_the_seeds_example()
    {
        var error = Refuse(Merge(XenditSeedExamples.Save, """{"session_type":null}"""));

        Assert.Equal(
            ("API_VALIDATION_ERROR", "request/body must have required property 'session_type'", "must have required property 'session_type'", "/body/session_type"),
            (error.ErrorCode, error.Message, error.FieldMessage, error.Path));
    }

    [Fact]
    public void A_pay_session_of_nothing_is_refused_by_the_grains_rule_in_the_catalogues_words()
    {
        var facts = Parse(Merge(XenditSeedExamples.PayAndSave, """{"amount":0}"""));
        var violation = MoneyRules.Check(facts.ToCommand("biz", false, "c", null), Now, facts.ExpiresAt);

        var error = XenditSessionRules.Render(violation!);

        Assert.Equal(("INVALID_AMOUNT", "Amount must be greater than zero"), (error.ErrorCode, error.Message));
    }

    [Fact]
    public void A_save_session_of_something_is_refused_by_the_grains_rule_as_invalid_amount()
    {
        var facts = Parse(Merge(XenditSeedExamples.Save, """{"amount":100}"""));
        var violation = MoneyRules.Check(facts.ToCommand("biz", false, "c", null), Now, facts.ExpiresAt);

        Assert.Equal("INVALID_AMOUNT", XenditSessionRules.Render(violation!).ErrorCode);
    }

    [Fact]
    public void Items_that_do_not_add_up_are_refused_by_the_grains_rule_as_invalid_amount()
    {
        var facts = Parse(Merge(XenditSeedExamples.Pay, """{"amount":10001}"""));
        var violation = MoneyRules.Check(facts.ToCommand("biz", false, "c", null), Now, facts.ExpiresAt);

        Assert.Equal(("INVALID_AMOUNT", "/body/amount"), (XenditSessionRules.Render(violation!).ErrorCode, XenditSessionRules.Render(violation!).Path));
    }

    [Fact]
    public void Several_problems_answer_with_the_first_in_the_documented_order()
    {
        // Shape first (a bad locale), then the catalogue's codes in order: session type before currency.
        var body = Merge(XenditSeedExamples.Save, """{"session_type":"AUTHORIZATION","currency":"EUR","locale":"eng"}""");
        Assert.Equal("/body/locale", Refuse(body).Path);

        body = Merge(XenditSeedExamples.Save, """{"session_type":"AUTHORIZATION","currency":"EUR","expires_at":"2020-01-01T00:00:00Z"}""");
        Assert.Equal("SESSION_TYPE_NOT_SUPPORTED", Refuse(body).ErrorCode);
    }

    [Fact]
    public void An_expiry_inside_the_window_is_kept_and_the_limits_are_configurable()
    {
        var facts = Parse(Merge(XenditSeedExamples.Save, """{"expires_at":"2026-12-01T17:20:00+07:00"}"""));
        Assert.Equal(Now.AddMinutes(20), facts.ExpiresAt);

        var limits = new XenditSessionLimits { MaxExpiry = TimeSpan.FromHours(24), DefaultExpiry = TimeSpan.FromHours(1) };
        var longer = XenditSessionRules.Check(Json(Merge(XenditSeedExamples.Save, """{"expires_at":"2026-12-02T09:00:00Z"}""")), Now, limits);
        Assert.Equal(Now.AddHours(23), longer.Create!.ExpiresAt);
        Assert.Equal(Now.AddHours(1), XenditSessionRules.Check(Json(XenditSeedExamples.Save), Now, limits).Create!.ExpiresAt);
    }

    [Fact]
    public void Limits_are_valid_only_when_the_default_lies_between_the_seeds_floor_and_the_ceiling()
    {
        Assert.True(XenditSessionLimits.Default.IsValid);
        Assert.False(new XenditSessionLimits { MaxExpiry = TimeSpan.FromMinutes(9) }.IsValid);
        Assert.False(new XenditSessionLimits { DefaultExpiry = TimeSpan.FromMinutes(5) }.IsValid);
        Assert.False(new XenditSessionLimits { DefaultExpiry = TimeSpan.FromMinutes(31) }.IsValid);
        Assert.True(new XenditSessionLimits { MaxExpiry = TimeSpan.FromDays(1), DefaultExpiry = TimeSpan.FromMinutes(10) }.IsValid);
    }

    private static XenditCreateFacts Parse(string json)
    {
        var check = XenditSessionRules.Check(Json(json), Now, XenditSessionLimits.Default);
        Assert.True(check.IsValid, check.Error?.ToString());
        return check.Create!;
    }

    private static XenditRuleError Refuse(string json)
    {
        var check = XenditSessionRules.Check(Json(json), Now, XenditSessionLimits.Default);
        Assert.Null(check.Create);
        return check.Error!;
    }

    private static JsonElement Json(string json) => JsonDocument.Parse(json).RootElement.Clone();

    // The body with the change's top-level properties replaced (null removes one).
    private static string Merge(string body, string change)
    {
        var node = System.Text.Json.Nodes.JsonNode.Parse(body)!.AsObject();
        var patch = System.Text.Json.Nodes.JsonNode.Parse(change);
        if (patch is not System.Text.Json.Nodes.JsonObject patchObject)
        {
            return change;
        }

        foreach (var (key, value) in patchObject)
        {
            if (value is null)
            {
                node.Remove(key);
            }
            else
            {
                node[key] = value.DeepClone();
            }
        }

        return node.ToJsonString();
    }
}
