using System.Net;
using System.Text.Json.Nodes;
using PaySessions.Grains.Merchants;
using PaySessions.Tests.Infrastructure;

namespace PaySessions.Tests.Api;

/// <summary>
/// A host whose catalogue (past the built-in entries) has four sandbox methods with images,
/// countries, currencies and fee schedules, all enabled for one business, and a fifth not enabled.
/// </summary>
public sealed class PaymentMethodCatalogueFixture : IAsyncLifetime
{
    public ApiFixture Api { get; } = new();

    public IssuedKeys Keys { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var settings = new Dictionary<string, string?>();
        void Method(int index, string id, string name, params (string Key, string Value)[] more)
        {
            settings[$"PaySessions:PaymentMethods:{index}:Id"] = id;
            settings[$"PaySessions:PaymentMethods:{index}:Provider"] = "sandbox";
            settings[$"PaySessions:PaymentMethods:{index}:Kind"] = "Redirect";
            settings[$"PaySessions:PaymentMethods:{index}:DisplayName"] = name;
            foreach (var (key, value) in more)
            {
                settings[$"PaySessions:PaymentMethods:{index}:{key}"] = value;
            }
        }

        Method(40, "fee_card", "Fee card",
            ("Image", "https://cdn.example.test/card.png"),
            ("Fees:Percent", "0.029"), ("Fees:Static:USD", "30"), ("Fees:Static:EUR", "25"), ("Fees:Static:JPY", "40"),
            ("Fees:Company:Percent", "0.019"), ("Fees:Company:Static:USD", "10"));
        Method(41, "fee_pix", "PIX",
            ("Countries:0", "BR"), ("Currencies:0", "BRL"), ("Currencies:1", "USD"), ("Fees:Percent", "0.015"));
        Method(42, "fee_blik", "BLIK",
            ("Countries:0", "PL"), ("Currencies:0", "PLN"), ("Fees:Static:PLN", "100"));
        Method(43, "fee_half", "Half-cent card", ("Currencies:0", "USD"), ("Fees:Percent", "0.01"));
        Method(44, "fee_off", "Not enabled");
        await Api.InitializeWith(settings);
        Keys = await Api.NewBusiness("Catalogue Shop");
        await Api.Host.Grains.GetGrain<IBusinessGrain>(Keys.BusinessId).EnablePaymentMethods(["fee_card", "fee_pix", "fee_blik", "fee_half"]);
    }

    public Task DisposeAsync() => Api.DisposeAsync();
}

public sealed class PaymentMethodsTests(PaymentMethodCatalogueFixture fixture) : IClassFixture<PaymentMethodCatalogueFixture>
{
    private ApiFixture Api => fixture.Api;

    [Fact]
    public async Task The_business_methods_are_keyed_by_id_with_name_image_countries_currencies_and_fees()
    {
        var response = await Api.Get("/payments/methods", fixture.Keys.SecretKey);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await Bodies.Json(response);
        Assert.Equal(["fee_card", "fee_pix", "fee_blik", "fee_half"], body.Select(p => p.Key));
        Assert.Equal(
            """{"name":"Fee card","image":"https://cdn.example.test/card.png","countries":null,"currencies":null,"fees":{"static_fees":0.30,"percent_fees":0.029,"currency":"USD"}}""",
            body["fee_card"]!.ToJsonString());
        Assert.Equal(
            """{"name":"PIX","image":null,"countries":["BR"],"currencies":["BRL","USD"],"fees":{"static_fees":0.00,"percent_fees":0.015,"currency":"BRL"}}""",
            body["fee_pix"]!.ToJsonString());
        Assert.Equal("""{"static_fees":1.00,"percent_fees":0,"currency":"PLN"}""", body["fee_blik"]!["fees"]!.ToJsonString());
    }

    [Theory]
    [InlineData("countries=BR", "fee_card fee_pix fee_half")]
    [InlineData("countries=pl,%20US", "fee_card fee_blik fee_half")]
    [InlineData("countries=JP", "fee_card fee_half")]
    [InlineData("currencies=PLN", "fee_card fee_blik")]
    [InlineData("currencies=EUR&countries=BR", "fee_card")]
    [InlineData("countries=JP&currencies=USD", "fee_card fee_half")]
    [InlineData("countries=BR&countries=PL", "fee_card fee_pix fee_blik fee_half")]
    [InlineData("countries=&currencies=&is_company=", "fee_card fee_pix fee_blik fee_half")]
    public async Task Filters_keep_methods_offered_there_and_those_offered_everywhere(string query, string expected)
    {
        var response = await Api.Get("/payments/methods?" + query, fixture.Keys.PublicKey);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(expected.Split(' '), (await Bodies.Json(response)).Select(p => p.Key));
    }

    [Theory]
    [InlineData("currencies=EUR", """{"static_fees":0.25,"percent_fees":0.029,"currency":"EUR"}""")]
    [InlineData("currencies=JPY", """{"static_fees":40,"percent_fees":0.029,"currency":"JPY"}""")]
    [InlineData("currencies=GBP,EUR", """{"static_fees":0.00,"percent_fees":0.029,"currency":"GBP"}""")]
    [InlineData("is_company=true", """{"static_fees":0.10,"percent_fees":0.019,"currency":"USD"}""")]
    [InlineData("is_company=1&currencies=EUR", """{"static_fees":0.25,"percent_fees":0.019,"currency":"EUR"}""")]
    [InlineData("is_company=FALSE", """{"static_fees":0.30,"percent_fees":0.029,"currency":"USD"}""")]
    public async Task The_static_fee_is_quoted_in_the_currency_asked_for_and_companies_get_their_schedule(string query, string fees)
    {
        var body = await Bodies.Json(await Api.Get("/payments/methods?" + query, fixture.Keys.SecretKey));

        Assert.Equal(fees, body["fee_card"]!["fees"]!.ToJsonString());
    }

    [Fact]
    public async Task A_company_schedule_left_unset_is_the_regular_one()
    {
        var regular = await Bodies.Json(await Api.Get("/payments/methods?currencies=USD", fixture.Keys.SecretKey));
        var company = await Bodies.Json(await Api.Get("/payments/methods?currencies=USD&is_company=true", fixture.Keys.SecretKey));

        Assert.Equal(regular["fee_pix"]!.ToJsonString(), company["fee_pix"]!.ToJsonString());
        Assert.NotEqual(regular["fee_card"]!.ToJsonString(), company["fee_card"]!.ToJsonString());
    }

    [Fact]
    public async Task Either_key_of_the_business_may_list_and_a_bad_key_is_401()
    {
        var withPublic = await Api.Get("/payments/methods", fixture.Keys.PublicKey);
        var withSecret = await Api.Get("/payments/methods", fixture.Keys.SecretKey);
        var unknown = await Api.Get("/payments/methods", "sk_test_" + new string('x', 32));
        var none = await Api.Get("/payments/methods", null);
        var devMerchant = await Bodies.Json(await Api.Get("/payments/methods", ApiFixture.DevSecretKey));

        Assert.Equal(HttpStatusCode.OK, withPublic.StatusCode);
        Assert.Equal(await withPublic.Content.ReadAsStringAsync(), await withSecret.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.Unauthorized, unknown.StatusCode);
        Assert.Equal("""{"error":"Unauthorized"}""", await unknown.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.Unauthorized, none.StatusCode);
        Assert.Equal("""{"error":"Unauthorized"}""", await none.Content.ReadAsStringAsync());
        // Another business sees its own enabled methods only.
        Assert.Equal(["sandbox_card", "sandbox_wallet"], devMerchant.Select(p => p.Key));
    }

    [Theory]
    [InlineData("countries", "US")]
    [InlineData("currencies", "USD")]
    public async Task Two_hundred_codes_are_accepted_and_two_hundred_and_one_are_400(string field, string code)
    {
        var atLimit = await Api.Get($"/payments/methods?{field}={string.Join(',', Enumerable.Repeat(code, 200))}", fixture.Keys.SecretKey);
        var overLimit = await Api.Get($"/payments/methods?{field}={string.Join(',', Enumerable.Repeat(code, 201))}", fixture.Keys.SecretKey);

        Assert.Equal(HttpStatusCode.OK, atLimit.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, overLimit.StatusCode);
        Assert.Equal($$"""{"{{field}}":["The {{field}} field must not have more than 200 items."]}""", await overLimit.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Every_bad_code_and_a_bad_is_company_are_reported_at_once_by_their_place()
    {
        var response = await Api.Get("/payments/methods?countries=US,XX,,GBR,uk&currencies=usd,ABC&is_company=yes", fixture.Keys.PublicKey);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(
            new Dictionary<string, string[]>
            {
                ["countries.1"] = ["The countries.1 field must be a valid ISO 3166-1 alpha-2 country code."],
                ["countries.3"] = ["The countries.3 field must be a valid ISO 3166-1 alpha-2 country code."],
                ["countries.4"] = ["The countries.4 field must be a valid ISO 3166-1 alpha-2 country code."],
                ["currencies.1"] = ["The currencies.1 field must be a valid ISO 4217 currency code."],
                ["is_company"] = ["The is company field must be true or false."],
            },
            await Bodies.Errors(response));
    }

    [Fact]
    public async Task A_sessions_payments_are_the_methods_that_fit_it_for_either_key_and_the_old_route_is_an_alias()
    {
        var id = await Create(fixture.Keys.SecretKey, amount: 10000);

        var withPublic = await Api.Get($"/session/{id}/payments", fixture.Keys.PublicKey);
        var withSecret = await Api.Get($"/session/{id}/payments", fixture.Keys.SecretKey);
        var alias = await Bodies.Json(await Api.Get($"/session/{id}/payment-methods", fixture.Keys.PublicKey));

        Assert.Equal(HttpStatusCode.OK, withPublic.StatusCode);
        var expected = """[{"id":"fee_card","name":"Fee card","type":"redirect"},{"id":"fee_pix","name":"PIX","type":"redirect"},{"id":"fee_half","name":"Half-cent card","type":"redirect"}]""";
        Assert.Equal(expected, await withPublic.Content.ReadAsStringAsync());
        Assert.Equal(expected, await withSecret.Content.ReadAsStringAsync());
        Assert.Equal(
            JsonNode.Parse(expected)!.AsArray().Select(m => (m!["id"]!.GetValue<string>(), m["name"]!.GetValue<string>(), m["type"]!.GetValue<string>())),
            alias["payment_methods"]!.AsArray().Select(m => (m!["id"]!.GetValue<string>(), m["name"]!.GetValue<string>(), m["type"]!.GetValue<string>())));
    }

    [Fact]
    public async Task A_sessions_payments_of_an_unknown_or_another_business_session_are_404_and_a_bad_key_401()
    {
        var ours = await Create(fixture.Keys.SecretKey, amount: 10000);
        var devSession = await Create(ApiFixture.DevSecretKey, amount: 10000);

        var unknown = await Api.Get($"/session/{TestSessions.NewId()}/payments", fixture.Keys.SecretKey);
        var malformed = await Api.Get("/session/not-a-session/payments", fixture.Keys.PublicKey);
        var another = await Api.Get($"/session/{devSession}/payments", fixture.Keys.PublicKey);
        var badKey = await Api.Get($"/session/{ours}/payments", "pk_test_" + new string('x', 32));

        foreach (var response in new[] { unknown, malformed, another })
        {
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
            Assert.Equal("""{"error":"Session not found"}""", await response.Content.ReadAsStringAsync());
        }

        Assert.Equal(HttpStatusCode.Unauthorized, badKey.StatusCode);
        Assert.Equal("""{"error":"Unauthorized"}""", await badKey.Content.ReadAsStringAsync());
    }

    [Theory]
    // 2.9 % of 10.50 USD is 30.45 cents: 30, plus the 30 cents static fee.
    [InlineData("fee_card", 1050, 60)]
    // 1 % of 10.50 USD is 10.5 cents: half away from zero gives 11 (banker's rounding would give 10).
    [InlineData("fee_half", 1050, 11)]
    [InlineData("fee_half", 1150, 12)]
    [InlineData("fee_card", 10000, 320)]
    public async Task A_completed_payment_records_its_fee_once_in_minor_units(string method, long amount, long fee)
    {
        var id = await Create(fixture.Keys.SecretKey, amount);

        await PayAndApprove(id, method);

        Assert.Equal(fee, (await CompletedEvent(id))["fees"]!.GetValue<long>());
    }

    private async Task PayAndApprove(string id, string method)
    {
        var pay = await Api.Post($"/session/{id}/pay", fixture.Keys.SecretKey, $$"""{"paymentMethodId":"{{method}}"}""");
        Assert.Equal(HttpStatusCode.OK, pay.StatusCode);
        var redirect = (await Bodies.Json(pay))["redirect_url"]!.GetValue<string>();
        Assert.Equal(HttpStatusCode.OK, (await Api.Host.Http.PostAsync(new Uri(redirect + "/approve"), null)).StatusCode);
    }

    private async Task<JsonNode> CompletedEvent(string id)
    {
        var events = await Eventually.Read(
            async () => (await Bodies.Json(await Api.Get($"/session/{id}/events", fixture.Keys.SecretKey)))["events"]!.AsArray(),
            e => e.Any(x => x!["type"]!.GetValue<string>() == "Completed"),
            TimeSpan.FromSeconds(10));
        return events.Single(e => e!["type"]!.GetValue<string>() == "Completed")!["data"]!;
    }

    private async Task<string> Create(string key, long amount)
    {
        var body = Bodies.SeedExample();
        body["amount"] = amount;
        body["items"] = new JsonArray(new JsonObject { ["name"] = "Thing", ["quantity"] = 1, ["price"] = amount });
        var response = await Api.Post("/session", key, body.ToJsonString());
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await Bodies.Json(response))["session_id"]!.GetValue<string>();
    }
}
