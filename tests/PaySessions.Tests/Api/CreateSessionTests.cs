using System.Net;
using System.Text.Json.Nodes;
using PaySessions.Grains.Sessions;
using PaySessions.Tests.Infrastructure;

namespace PaySessions.Tests.Api;

[Collection(ApiCollection.Name)]
public sealed class CreateSessionTests(ApiFixture api)
{
    [Fact]
    public async Task The_seeds_client_side_example_creates_a_session_bound_to_the_request_address()
    {
        var body = Bodies.SeedExample();

        var response = await api.Post("/session", ApiFixture.DevPublicKey, body.ToJsonString());

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var json = await Bodies.Json(response);
        var id = json["session_id"]!.GetValue<string>();
        Assert.Single(json);
        Assert.Matches("^[0-9a-f]{32}$", id);
        var session = await api.Host.Grains.GetGrain<IPaymentSessionGrain>(id).GetSnapshot();
        Assert.Equal("127.0.0.1", session!.ClientIp);
        Assert.Equal(ApiFixture.DevBusiness, session.BusinessId);
        Assert.Equal(body["order_id"]!.GetValue<string>(), session.OrderId);
        Assert.Equal("premium", session.Metadata["plan"]);
    }

    [Fact]
    public async Task The_seeds_server_side_example_stores_the_end_users_ip_field()
    {
        var body = Bodies.SeedExample();
        body["ip"] = "203.0.113.42";

        var response = await api.Post("/session", ApiFixture.DevSecretKey, body.ToJsonString());

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var id = (await Bodies.Json(response))["session_id"]!.GetValue<string>();
        Assert.Equal("203.0.113.42", (await api.Host.Grains.GetGrain<IPaymentSessionGrain>(id).GetSnapshot())!.ClientIp);
    }

    [Fact]
    public async Task A_secret_key_without_ip_binds_no_address_and_a_public_key_ignores_the_ip_field()
    {
        var withSecret = await api.Post("/session", ApiFixture.DevSecretKey, Bodies.SeedExample().ToJsonString());
        var fromBrowser = Bodies.SeedExample();
        fromBrowser["ip"] = "198.51.100.7";
        var withPublic = await api.Post("/session", ApiFixture.DevPublicKey, fromBrowser.ToJsonString());

        Assert.Null((await Snapshot(withSecret)).ClientIp);
        Assert.Equal("127.0.0.1", (await Snapshot(withPublic)).ClientIp);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("Bearer")]
    [InlineData("Bearer ")]
    [InlineData("Bearer not-a-key")]
    [InlineData("Bearer sk_test_unknown0000000000000")]
    [InlineData("Bearer sk_prod_devmerchant000000000000")]
    [InlineData("Basic c2tfdGVzdF9kZXZtZXJjaGFudDAwMDAwMDAwMDAwMDo=")]
    [InlineData("Bearer sk_test_devmerchant000000000000x")]
    public async Task A_missing_malformed_or_unknown_key_is_401_Unauthorized(string? authorization)
    {
        var orderId = "order_" + Guid.NewGuid().ToString("N");

        var response = await api.Send(HttpMethod.Post, "/session", null, Bodies.SeedExample(orderId).ToJsonString(), request =>
        {
            if (authorization is not null)
            {
                request.Headers.TryAddWithoutValidation("Authorization", authorization);
            }
        });

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("""{"error":"Unauthorized"}""", await response.Content.ReadAsStringAsync());
        Assert.Equal(0, await api.SessionRows(ApiFixture.DevBusiness, orderId));
    }

    [Fact]
    public async Task A_revoked_key_is_401_at_once()
    {
        var keys = await api.NewBusiness();
        Assert.Equal(HttpStatusCode.Created, (await api.Post("/session", keys.SecretKey, Bodies.SeedExample().ToJsonString())).StatusCode);

        var business = api.Host.Grains.GetGrain<PaySessions.Grains.Merchants.IBusinessGrain>(keys.BusinessId);
        Assert.True(await business.RevokeKey(PaySessions.Grains.Merchants.ApiKeys.Hash(keys.SecretKey)));

        var after = await api.Post("/session", keys.SecretKey, Bodies.SeedExample().ToJsonString());
        Assert.Equal(HttpStatusCode.Unauthorized, after.StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await api.Post("/session", keys.PublicKey, Bodies.SeedExample().ToJsonString())).StatusCode);
    }

    public static TheoryData<string, string, string> FieldErrors => new()
    {
        { "amount", "null", """{"amount":["The amount field is required."]}""" },
        { "amount", "\"10000\"", """{"amount":["The amount field must be an integer."]}""" },
        { "amount", "10000.0", """{"amount":["The amount field must be an integer."]}""" },
        { "amount", "1e4", """{"amount":["The amount field must be an integer."]}""" },
        { "amount", "99", """{"amount":["The amount field must be at least 100."]}""" },
        { "amount", "-10000", """{"amount":["The amount field must be at least 100."]}""" },
        { "amount", "true", """{"amount":["The amount field must be an integer."]}""" },
        { "amount", "9999", """{"amount":["The amount must equal the sum of the items (price × quantity)."]}""" },
        { "amount", "99999999999999999999999", """{"amount":["The amount field must not be greater than 999999999999."]}""" },
        { "currency", "null", """{"currency":["The currency field is required."]}""" },
        { "currency", "\"XYZ\"", """{"currency":["The selected currency is invalid."]}""" },
        { "currency", "\"US\"", """{"currency":["The selected currency is invalid."]}""" },
        { "currency", "\"DOLLARS\"", """{"currency":["The currency field must not be greater than 3 characters."]}""" },
        { "currency", "840", """{"currency":["The currency field must be a string."]}""" },
        { "customer", "\"\"", """{"customer":["The customer field is required."]}""" },
        { "customer", "\"   \"", """{"customer":["The customer field is required."]}""" },
        { "customer", "{}", """{"customer":["The customer field must be a string."]}""" },
        { "customer", "\"a\\u0000b\"", """{"customer":["The customer field must be a string."]}""" },
        { "order_id", "null", """{"order_id":["The order id field is required."]}""" },
        { "order_id", "12345", """{"order_id":["The order id field must be a string."]}""" },
        { "items", "null", """{"items":["The items field is required."]}""" },
        { "items", "[]", """{"items":["The items field must have at least 1 items."]}""" },
        { "items", "{}", """{"items":["The items field must be an array."]}""" },
        { "items", "[1]", """{"items.0":["The items.0 field must be an object."]}""" },
        { "items", """[{"quantity":1,"price":10000}]""", """{"items.0.name":["The items.0.name field is required."]}""" },
        { "items", """[{"name":"A","price":10000}]""", """{"items.0.quantity":["The items.0.quantity field is required."]}""" },
        { "items", """[{"name":"A","quantity":0,"price":10000}]""", """{"items.0.quantity":["The items.0.quantity field must be at least 1."]}""" },
        { "items", """[{"name":"A","quantity":"1","price":10000}]""", """{"items.0.quantity":["The items.0.quantity field must be an integer."]}""" },
        { "items", """[{"name":"A","quantity":1.5,"price":10000}]""", """{"items.0.quantity":["The items.0.quantity field must be an integer."]}""" },
        { "items", """[{"name":"A","quantity":1,"price":0}]""", """{"items.0.price":["The items.0.price field must be at least 1."]}""" },
        { "items", """[{"name":"A","quantity":1,"price":5000},{"name":"B","quantity":1}]""", """{"items.1.price":["The items.1.price field is required."]}""" },
        { "description", "\"" + new string('d', 1001) + "\"", """{"description":["The description field must not be greater than 1000 characters."]}""" },
        { "description", "42", """{"description":["The description field must be a string."]}""" },
        { "metadata", "[]", """{"metadata":["The metadata field must be an object."]}""" },
        { "metadata", """{"k":{"nested":true}}""", """{"metadata.k":["The metadata.k field must be a string."]}""" },
        { "metadata", """{"k":null}""", """{"metadata.k":["The metadata.k field must be a string."]}""" },
        { "metadata", "{\"k\":\"" + new string('v', 501) + "\"}", """{"metadata.k":["The metadata.k field must not be greater than 500 characters."]}""" },
        { "metadata", "{\"" + new string('k', 41) + "\":\"v\"}", """{"metadata":["The metadata keys must be between 1 and 40 characters."]}""" },
        { "metadata", "{" + string.Join(",", Enumerable.Range(0, 51).Select(i => $"\"k{i}\":\"v\"")) + "}", """{"metadata":["The metadata field must not have more than 50 items."]}""" },
        { "paymentMethodId", "7", """{"paymentMethodId":["The payment method id field must be a string."]}""" },
        { "ip", "\"1.2.3\"", """{"ip":["The ip field must be a valid IP address."]}""" },
        { "ip", "\"999.1.1.1\"", """{"ip":["The ip field must be a valid IP address."]}""" },
        { "ip", "\"localhost\"", """{"ip":["The ip field must be a valid IP address."]}""" },
        { "ip", "5", """{"ip":["The ip field must be a string."]}""" },
    };

    [Theory]
    [MemberData(nameof(FieldErrors))]
    public async Task Each_rule_answers_400_with_its_Laravel_message_and_writes_nothing(string field, string json, string expected)
    {
        var body = Bodies.SeedExample();
        body[field] = JsonNode.Parse(json);
        // For the order_id rules themselves, the id a careless create would store is the value sent.
        var orderId = field == "order_id" ? body["order_id"]?.ToJsonString().Trim('"') ?? "" : body["order_id"]!.GetValue<string>();

        var response = await api.Post("/session", ApiFixture.DevSecretKey, body.ToJsonString());

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var actual = await response.Content.ReadAsStringAsync();
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(expected), JsonNode.Parse(actual)), $"expected {expected}, got {actual}");
        Assert.Equal(0, await api.SessionRows(ApiFixture.DevBusiness, orderId));
        Assert.Equal(0, await api.CreatedEvents(ApiFixture.DevBusiness, orderId));
    }

    [Fact]
    public async Task A_lone_surrogate_in_a_value_makes_the_body_invalid_json()
    {
        var body = Bodies.SeedExample().ToJsonString().Replace("\"customer_", "\"\\ud800customer_", StringComparison.Ordinal);

        var response = await api.Post("/session", ApiFixture.DevSecretKey, body);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("""{"body":["The request body must be valid JSON."]}""", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Every_error_of_a_body_is_reported_at_once()
    {
        var response = await api.Post("/session", ApiFixture.DevSecretKey, """{"amount":"x","currency":"usd","items":[{"name":"","quantity":0,"price":1.5}],"ip":"nope"}""");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var errors = await Bodies.Errors(response);
        Assert.Equal(
            ["amount", "customer", "order_id", "items.0.name", "items.0.quantity", "items.0.price", "ip"],
            errors.Keys);
        Assert.Equal(["The order id field is required."], errors["order_id"]);
    }

    [Fact]
    public async Task Items_whose_total_overflows_are_a_400_not_a_wrap_around()
    {
        var body = Bodies.SeedExample();
        body["amount"] = 100;
        body["items"] = JsonNode.Parse("""
            [{"name":"a","quantity":1000000,"price":999999999999},
             {"name":"b","quantity":1000000,"price":999999999999},
             {"name":"c","quantity":1000000,"price":999999999999},
             {"name":"d","quantity":1000000,"price":999999999999},
             {"name":"e","quantity":1000000,"price":999999999999},
             {"name":"f","quantity":1000000,"price":999999999999},
             {"name":"g","quantity":1000000,"price":999999999999},
             {"name":"h","quantity":1000000,"price":999999999999},
             {"name":"i","quantity":1000000,"price":999999999999},
             {"name":"j","quantity":1000000,"price":999999999999}]
            """);

        var response = await api.Post("/session", ApiFixture.DevSecretKey, body.ToJsonString());

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(["The amount must equal the sum of the items (price × quantity)."], (await Bodies.Errors(response))["amount"]);
    }

    [Theory]
    [InlineData("{", "The request body must be valid JSON.")]
    [InlineData("", "The request body must be valid JSON.")]
    [InlineData("[]", "The request body must be a JSON object.")]
    [InlineData("\"session\"", "The request body must be a JSON object.")]
    [InlineData("null", "The request body must be a JSON object.")]
    [InlineData("""{"amount":100,"amount":200}""", "The request body must be valid JSON.")]
    [InlineData("""{"amount":100} trailing""", "The request body must be valid JSON.")]
    [InlineData("""{"amount":100,/* comment */}""", "The request body must be valid JSON.")]
    public async Task A_body_that_is_not_one_JSON_object_is_a_400(string body, string message)
    {
        var response = await api.Post("/session", ApiFixture.DevSecretKey, body);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal([message], (await Bodies.Errors(response))["body"]);
    }

    [Fact]
    public async Task Deeply_nested_json_is_a_400()
    {
        var deep = string.Concat(Enumerable.Repeat("{\"a\":", 500)) + "1" + new string('}', 500);

        var response = await api.Post("/session", ApiFixture.DevSecretKey, "{\"metadata\":" + deep + "}");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(["The request body must be valid JSON."], (await Bodies.Errors(response))["body"]);
    }

    [Fact]
    public async Task A_body_over_one_MiB_is_413_and_writes_nothing()
    {
        var body = Bodies.SeedExample();
        body["description"] = new string('x', 1024 * 1024);

        var response = await api.Post("/session", ApiFixture.DevSecretKey, body.ToJsonString());

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal("""{"error":"Request body too large"}""", await response.Content.ReadAsStringAsync());
        Assert.Equal(0, await api.SessionRows(ApiFixture.DevBusiness, body["order_id"]!.GetValue<string>()));
    }

    [Fact]
    public async Task A_chunked_body_over_one_MiB_is_413_too()
    {
        var payload = "{\"description\":\"" + new string('x', (1024 * 1024) + 10) + "\"}";
        var response = await api.Send(HttpMethod.Post, "/session", ApiFixture.DevSecretKey, null, request =>
        {
            request.Content = new StreamContent(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(payload)));
            request.Headers.TransferEncodingChunked = true;
        });

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
    }

    [Fact]
    public async Task Unicode_text_is_kept_as_sent()
    {
        var body = Bodies.SeedExample(customer: "клиент-客户-😀");
        body["description"] = "Ünïcødé ✓ " + new string('é', 990);

        var response = await api.Post("/session", ApiFixture.DevSecretKey, body.ToJsonString());

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var session = await Snapshot(response);
        Assert.Equal("клиент-客户-😀", session.Customer);
        Assert.Equal(1000, session.Description!.EnumerateRunes().Count());
    }

    [Fact]
    public async Task Lowercase_currency_is_accepted_and_stored_upper_case()
    {
        var body = Bodies.SeedExample();
        body["currency"] = "eur";

        var response = await api.Post("/session", ApiFixture.DevSecretKey, body.ToJsonString());

        Assert.Equal("EUR", (await Snapshot(response)).Currency);
    }

    [Fact]
    public async Task An_order_id_used_before_is_a_400_on_order_id()
    {
        var body = Bodies.SeedExample();
        Assert.Equal(HttpStatusCode.Created, (await api.Post("/session", ApiFixture.DevSecretKey, body.ToJsonString())).StatusCode);

        var again = await api.Post("/session", ApiFixture.DevSecretKey, body.ToJsonString());

        Assert.Equal(HttpStatusCode.BadRequest, again.StatusCode);
        Assert.Equal("""{"order_id":["The order id has already been taken."]}""", await again.Content.ReadAsStringAsync());
        Assert.Equal(1, await api.SessionRows(ApiFixture.DevBusiness, body["order_id"]!.GetValue<string>()));
        Assert.Equal(1, await api.CreatedEvents(ApiFixture.DevBusiness, body["order_id"]!.GetValue<string>()));
    }

    [Fact]
    public async Task Concurrent_creates_with_one_order_id_give_one_201_and_the_rest_400_on_order_id()
    {
        var orderId = "order_" + Guid.NewGuid().ToString("N");

        var responses = await Task.WhenAll(Enumerable.Range(0, 12).Select(i =>
            api.Post("/session", ApiFixture.DevSecretKey, Bodies.SeedExample(orderId, customer: $"racer_{i}_{orderId}").ToJsonString())));

        Assert.Single(responses, r => r.StatusCode == HttpStatusCode.Created);
        var refused = responses.Where(r => r.StatusCode != HttpStatusCode.Created).ToList();
        Assert.Equal(11, refused.Count);
        foreach (var response in refused)
        {
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Equal("""{"order_id":["The order id has already been taken."]}""", await response.Content.ReadAsStringAsync());
        }

        Assert.Equal(1, await api.SessionRows(ApiFixture.DevBusiness, orderId));
        Assert.Equal(1, await api.CreatedEvents(ApiFixture.DevBusiness, orderId));
    }

    [Fact]
    public async Task The_same_order_id_is_free_for_another_business()
    {
        var other = await api.NewBusiness();
        var body = Bodies.SeedExample();

        var mine = await api.Post("/session", ApiFixture.DevSecretKey, body.ToJsonString());
        var theirs = await api.Post("/session", other.SecretKey, body.ToJsonString());

        Assert.Equal(HttpStatusCode.Created, mine.StatusCode);
        Assert.Equal(HttpStatusCode.Created, theirs.StatusCode);
    }

    [Fact]
    public async Task A_payment_method_the_business_has_not_enabled_is_400_Payment_method_not_found()
    {
        var body = Bodies.SeedExample();
        body["paymentMethodId"] = "zen_card";

        var response = await api.Post("/session", ApiFixture.DevSecretKey, body.ToJsonString());

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("""{"error":"Payment method not found"}""", await response.Content.ReadAsStringAsync());
        Assert.Equal(0, await api.SessionRows(ApiFixture.DevBusiness, body["order_id"]!.GetValue<string>()));
    }

    [Fact]
    public async Task X_Forwarded_For_is_ignored_from_a_proxy_that_is_not_trusted()
    {
        var response = await api.Send(HttpMethod.Post, "/session", ApiFixture.DevPublicKey, Bodies.SeedExample().ToJsonString(),
            request => request.Headers.Add("X-Forwarded-For", "198.51.100.23"));

        Assert.Equal("127.0.0.1", (await Snapshot(response)).ClientIp);
    }

    private async Task<PaymentSessionSnapshot> Snapshot(HttpResponseMessage created)
    {
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var id = (await Bodies.Json(created))["session_id"]!.GetValue<string>();
        return (await api.Host.Grains.GetGrain<IPaymentSessionGrain>(id).GetSnapshot())!;
    }
}
