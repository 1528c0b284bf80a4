using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using FsCheck;
using FsCheck.Fluent;
using Npgsql;
using PaySessions.Api.Xendit;
using PaySessions.Grains.Merchants;
using PaySessions.Tests.Infrastructure;

namespace PaySessions.Tests.Api;

/// <summary>
/// <c>POST /sessions</c> over real HTTP: the seed's three request examples verbatim, every error
/// code of the catalogue that the create can give, customers found and reused, sub-accounts, the
/// per-customer limit, and any body at all answering 201 or a documented 4xx that writes nothing.
/// A host of its own: a small per-customer limit (5) and a per-IP limit of 2 that this route must
/// not apply (it is called from the merchant's server).
/// </summary>
public sealed class XenditCreateSessionTests(XenditCreateSessionTests.Host host) : IClassFixture<XenditCreateSessionTests.Host>
{
    private const string PublicBaseUrl = "https://pay.example.test";
    private const int PerCustomerLimit = 5;

    private readonly ApiFixture _api = host.Api;

    public sealed class Host : IAsyncLifetime
    {
        public ApiFixture Api { get; } = new();

        public NpgsqlDataSource Database => _database ??= NpgsqlDataSource.Create(Api.Host.ConnectionString);

        private NpgsqlDataSource? _database;

        public Task InitializeAsync() => Api.InitializeWith(new Dictionary<string, string?>
        {
            ["PaySessions:RateLimits:FailedAuthPerIp:Limit"] = "1000000",
            ["PaySessions:RateLimits:PerCustomer:Limit"] = PerCustomerLimit.ToString(CultureInfo.InvariantCulture),
            ["PaySessions:RateLimits:PerCustomer:Window"] = "01:00:00",
            ["PaySessions:RateLimits:PerIp:Limit"] = "2",
            ["PaySessions:RateLimits:PerIp:Window"] = "01:00:00",
            ["PaySessions:PublicBaseUrl"] = PublicBaseUrl,
        });

        public async Task DisposeAsync()
        {
            if (_database is not null)
            {
                await _database.DisposeAsync();
            }

            await Api.DisposeAsync();
        }
    }

    /// <summary>The seed's response example: every field, with its JSON type(s).</summary>
    private static readonly Dictionary<string, JsonValueKind[]> ResponseFields = new()
    {
        ["payment_session_id"] = [JsonValueKind.String],
        ["created"] = [JsonValueKind.String],
        ["updated"] = [JsonValueKind.String],
        ["reference_id"] = [JsonValueKind.String],
        ["customer_id"] = [JsonValueKind.String],
        ["session_type"] = [JsonValueKind.String],
        ["allow_save_payment_method"] = [JsonValueKind.String, JsonValueKind.Null],
        ["currency"] = [JsonValueKind.String],
        ["amount"] = [JsonValueKind.Number],
        ["country"] = [JsonValueKind.String],
        ["mode"] = [JsonValueKind.String],
        ["capture_method"] = [JsonValueKind.String, JsonValueKind.Null],
        ["channel_properties"] = [JsonValueKind.Object],
        ["allowed_payment_channels"] = [JsonValueKind.Array],
        ["expires_at"] = [JsonValueKind.String],
        ["locale"] = [JsonValueKind.String],
        ["metadata"] = [JsonValueKind.Object, JsonValueKind.Null],
        ["description"] = [JsonValueKind.String, JsonValueKind.Null],
        ["items"] = [JsonValueKind.Array, JsonValueKind.Null],
        ["success_return_url"] = [JsonValueKind.String, JsonValueKind.Null],
        ["cancel_return_url"] = [JsonValueKind.String, JsonValueKind.Null],
        ["status"] = [JsonValueKind.String],
        ["payment_link_url"] = [JsonValueKind.String],
        ["payment_token_id"] = [JsonValueKind.String, JsonValueKind.Null],
        ["payment_id"] = [JsonValueKind.String, JsonValueKind.Null],
        ["payment_request_id"] = [JsonValueKind.String, JsonValueKind.Null],
        ["business_id"] = [JsonValueKind.String],
        ["manual_review"] = [JsonValueKind.False],
    };

    [Fact]
    public async Task The_seeds_three_examples_verbatim_are_201_and_the_later_ones_reuse_the_customer()
    {
        // A business of its own, so the seed's fixed references are new to it. Three creates from
        // one address also prove there is no per-IP limit here (the host allows 2 per address).
        var business = await _api.NewBusiness("Lorem Shop");

        var responses = new List<JsonObject>();
        foreach (var example in new[] { XenditSeedExamples.Pay, XenditSeedExamples.PayAndSave, XenditSeedExamples.Save })
        {
            var response = await Create(business.SecretKey, example);
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
            var json = await Bodies.Json(response);
            Assert.Equal(ResponseFields.Keys.Order(StringComparer.Ordinal), json.Select(p => p.Key).Order(StringComparer.Ordinal));
            foreach (var (name, kinds) in ResponseFields)
            {
                Assert.True(kinds.Contains(Kind(json[name])), $"{name} is {Kind(json[name])}");
            }

            var id = S(json, "payment_session_id");
            Assert.Matches("^ps-[0-9a-f]{24}$", id);
            Assert.Equal(("ACTIVE", business.BusinessId, $"{PublicBaseUrl}/pay/{id}"), (S(json, "status"), S(json, "business_id"), S(json, "payment_link_url")));
            Assert.Equal(S(json, "created"), S(json, "updated"));
            var expiresIn = DateTimeOffset.Parse(S(json, "expires_at"), CultureInfo.InvariantCulture) - DateTimeOffset.Parse(S(json, "created"), CultureInfo.InvariantCulture);
            Assert.InRange(expiresIn, TimeSpan.FromMinutes(30) - TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(30));

            // GET answers the same object.
            var read = await _api.Send(HttpMethod.Get, $"/sessions/{id}", null, null, r => r.Headers.Authorization = Basic(business.SecretKey));
            Assert.Equal(HttpStatusCode.OK, read.StatusCode);
            Assert.Equal(json.ToJsonString(), (await Bodies.Json(read)).ToJsonString());
            responses.Add(json);
        }

        var (pay, payAndSave, save) = (responses[0], responses[1], responses[2]);
        Assert.Equal(("order_12345_PAY", "PAY", "PHP", "PH"), (S(pay, "reference_id"), S(pay, "session_type"), S(pay, "currency"), S(pay, "country")));
        Assert.Equal(10000m, pay["amount"]!.GetValue<decimal>());
        Assert.Equal(("AUTOMATIC", "en", "PAYMENT_LINK"), (S(pay, "capture_method"), S(pay, "locale"), S(pay, "mode")));
        Assert.Equal(2, pay["items"]!.AsArray().Count);
        Assert.Equal(("item_001", 5000m), (S(pay["items"]![0]!.AsObject(), "reference_id"), pay["items"]![0]!["net_unit_amount"]!.GetValue<decimal>()));
        Assert.Equal("https://yourcompany.com/success/example_item=my_item", S(pay, "success_return_url"));
        Assert.Equal(("order_123456_SAVE", "PAY", "OPTIONAL", "IDR"), (S(payAndSave, "reference_id"), S(payAndSave, "session_type"), S(payAndSave, "allow_save_payment_method"), S(payAndSave, "currency")));
        Assert.Equal(10000m, payAndSave["amount"]!.GetValue<decimal>());
        Assert.Equal(("order_123456_SAVE", "SAVE", "Insurance Plan Registration"), (S(save, "reference_id"), S(save, "session_type"), S(save, "description")));
        Assert.Equal(0m, save["amount"]!.GetValue<decimal>());
        Assert.Null(save["capture_method"]);
        Assert.Null(save["items"]);
        Assert.Null(save["metadata"]);
        Assert.Equal("{}", save["channel_properties"]!.ToJsonString());

        // One customer, recorded by the first and reused by the other two.
        var customerId = S(pay, "customer_id");
        Assert.Matches("^cust-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$", customerId);
        Assert.Equal(customerId, S(payAndSave, "customer_id"));
        Assert.Equal(customerId, S(save, "customer_id"));
        Assert.Equal(1, await Customers(business.BusinessId));
        Assert.Equal(3, await Sessions(business.BusinessId));
    }

    [Fact]
    public async Task A_customer_id_from_an_earlier_session_is_reused_and_another_businesss_is_404_DATA_NOT_FOUND()
    {
        var business = await _api.NewBusiness();
        var first = await Bodies.Json(await Create(business.SecretKey, Body()));
        var customerId = S(first, "customer_id");
        var other = await _api.NewBusiness();

        var reused = await Create(business.SecretKey, Body(b => { b.Remove("customer"); b["customer_id"] = customerId; b["session_type"] = "SAVE"; b["amount"] = 0; b.Remove("items"); b.Remove("capture_method"); }));
        var othersBody = Body(b => { b.Remove("customer"); b["customer_id"] = customerId; });
        var foreign = await Create(other.SecretKey, othersBody);

        Assert.Equal(HttpStatusCode.Created, reused.StatusCode);
        Assert.Equal(customerId, S(await Bodies.Json(reused), "customer_id"));
        Assert.Equal(
            (HttpStatusCode.NotFound, """{"error_code":"DATA_NOT_FOUND","message":"The customer ID provided in the request does not exist"}"""),
            (foreign.StatusCode, await foreign.Content.ReadAsStringAsync()));
        Assert.Equal(0, await Sessions(other.BusinessId));
        Assert.Equal(1, await Customers(business.BusinessId));
    }

    public static TheoryData<string, int, string> CatalogueCases => new()
    {
        { "missing session_type", 400, """{"error_code":"API_VALIDATION_ERROR","message":"request/body must have required property 'session_type'","errors":[{"message":"must have required property 'session_type'","path":"/body/session_type"}]}""" },
        { "PAY of 0", 400, """{"error_code":"INVALID_AMOUNT","message":"Amount must be greater than zero"}""" },
        { "unknown channel", 400, """{"error_code":"INVALID_PAYMENT_CHANNEL","message":"Channel(s) INVALID_CHANNEL are not available. Please ensure that you have activated the necessary channels"}""" },
        { "channels not enabled", 400, """{"error_code":"INVALID_PAYMENT_CHANNEL","message":"Channel(s) CARDS, OVO are not available. Please ensure that you have activated the necessary channels"}""" },
        { "metadata value too long", 400, """{"error_code":"INVALID_METADATA","message":"Metadata value must have at most 80 characters"}""" },
        { "item metadata value too long", 400, """{"error_code":"INVALID_ITEM_METADATA","message":"Metadata value must have at most 80 characters"}""" },
        { "unknown currency", 400, """{"error_code":"INVALID_CURRENCY","message":"The provided currency is not supported"}""" },
        { "unknown country", 400, """{"error_code":"INVALID_COUNTRY","message":"The provided country is not supported"}""" },
        { "customer id without prefix", 400, """{"error_code":"INVALID_CUSTOMER_ID","message":"Customer ID must start with \"cust-\""}""" },
        { "http return url", 400, """{"error_code":"INVALID_URL","message":"Please provide a valid HTTPS URL"}""" },
        { "SAVE without customer", 400, """{"error_code":"MISSING_CUSTOMER","message":"Customer object or customer_id is required"}""" },
        { "SAVE with capture method", 400, """{"error_code":"DISALLOWED_CAPTURE_METHOD","message":"Capture method is not supported for session type SAVE"}""" },
        { "expiry too soon", 400, """{"error_code":"INVALID_EXPIRY_DATE","message":"expires_at must be at least 10 minutes in the future"}""" },
        { "expiry too late", 400, """{"error_code":"INVALID_EXPIRY_DATE","message":"expires_at must be at most 30 minutes in the future"}""" },
        { "SAVE with items", 400, """{"error_code":"ITEMS_NOT_SUPPORTED","message":"Items are allowed for session type PAY only"}""" },
        { "AUTHORIZATION", 400, """{"error_code":"SESSION_TYPE_NOT_SUPPORTED","message":"session_type AUTHORIZATION is not supported for now"}""" },
        { "unknown mode", 400, """{"error_code":"MODE_NOT_SUPPORTED","message":"mode INVALID_MODE is not supported for now"}""" },
        { "unknown customer id", 404, """{"error_code":"DATA_NOT_FOUND","message":"The customer ID provided in the request does not exist"}""" },
        { "items not adding up", 400, """{"error_code":"INVALID_AMOUNT","message":"Amount must equal the sum of the items (net_unit_amount × quantity)"}""" },
        { "malformed json", 400, """{"error_code":"API_VALIDATION_ERROR","message":"request/body must be valid JSON","errors":[{"message":"must be valid JSON","path":"/body"}]}""" },
        { "not an object", 400, """{"error_code":"API_VALIDATION_ERROR","message":"request/body must be object","errors":[{"message":"must be object","path":"/body"}]}""" },
        { "oversized body", 413, """{"error_code":"API_VALIDATION_ERROR","message":"request/body must not be larger than 1048576 bytes","errors":[{"message":"must not be larger than 1048576 bytes","path":"/body"}]}""" },
        { "public key", 401, """{"error_code":"INVALID_API_KEY","message":"API key is not authorized for this API"}""" },
    };

    [Theory]
    [MemberData(nameof(CatalogueCases))]
    public async Task Every_catalogue_code_of_the_create_answers_the_seeds_status_and_body_and_writes_nothing(string problem, int status, string expected)
    {
        // A business of its own (with the sandbox channels enabled), so "nothing written" counts its rows only.
        var business = await _api.NewBusiness();
        Assert.True((await _api.Host.Grains.GetGrain<IBusinessGrain>(business.BusinessId).EnableMethods(["sandbox_card", "sandbox_wallet"])).Accepted);
        var key = business.SecretKey;
        var body = problem switch
        {
            "missing session_type" => Body(b => b.Remove("session_type")),
            "PAY of 0" => Body(b => { b["amount"] = 0; b.Remove("items"); }),
            "unknown channel" => Body(b => b["allowed_payment_channels"] = new JsonArray("SANDBOX_CARD", "INVALID_CHANNEL")),
            "channels not enabled" => Body(b => b["allowed_payment_channels"] = new JsonArray("CARDS", "SANDBOX_WALLET", "OVO")),
            "metadata value too long" => Body(b => b["metadata"] = new JsonObject { ["note"] = new string('m', 81) }),
            "item metadata value too long" => Body(b => b["items"]![0]!["metadata"] = new JsonObject { ["note"] = new string('m', 81) }),
            "unknown currency" => Body(b => { b["currency"] = "EUR"; b.Remove("items"); }),
            "unknown country" => Body(b => b["country"] = "US"),
            "customer id without prefix" => Body(b => { b.Remove("customer"); b["customer_id"] = "b98d6f63-d240-44ec-9bd5-aa42954c4f48"; }),
            "http return url" => Body(b => b["success_return_url"] = "http://yourcompany.com/success"),
            "SAVE without customer" => Body(b => { b.Remove("customer"); b["session_type"] = "SAVE"; b["amount"] = 0; b.Remove("items"); b.Remove("capture_method"); }),
            "SAVE with capture method" => Body(b => { b["session_type"] = "SAVE"; b["amount"] = 0; b.Remove("items"); }),
            "expiry too soon" => Body(b => b["expires_at"] = DateTimeOffset.UtcNow.AddMinutes(2).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture)),
            "expiry too late" => Body(b => b["expires_at"] = DateTimeOffset.UtcNow.AddHours(2).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture)),
            "SAVE with items" => Body(b => { b["session_type"] = "SAVE"; b["amount"] = 0; b.Remove("capture_method"); }),
            "AUTHORIZATION" => Body(b => b["session_type"] = "AUTHORIZATION"),
            "unknown mode" => Body(b => b["mode"] = "INVALID_MODE"),
            "unknown customer id" => Body(b => { b.Remove("customer"); b["customer_id"] = "cust-b98d6f63-d240-44ec-9bd5-aa42954c4f48"; }),
            "items not adding up" => Body(b => b["amount"] = 10001),
            "malformed json" => Body()[..40],
            "not an object" => "[1,2,3]",
            "public key" => Body(),
            "oversized body" => Body(b => b["description"] = new string('x', 1_100_000)),
            _ => throw new ArgumentOutOfRangeException(nameof(problem)),
        };
        if (problem == "public key")
        {
            key = business.PublicKey;
        }

        var response = await Create(key, body);

        Assert.Equal((status, expected), ((int)response.StatusCode, await response.Content.ReadAsStringAsync()));
        Assert.Equal(0, await Sessions(business.BusinessId));
        Assert.Equal(0, await Customers(business.BusinessId));
    }

    [Fact]
    public async Task Concurrent_creates_naming_one_new_customer_record_it_once()
    {
        var business = await _api.NewBusiness();
        var customer = "cust_" + Guid.NewGuid().ToString("N");

        var responses = await Task.WhenAll(Enumerable.Range(0, PerCustomerLimit).Select(_ => Create(business.SecretKey, Body(b => b["customer"]!["reference_id"] = customer))));

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.Created, r.StatusCode));
        var ids = await Task.WhenAll(responses.Select(async r => S(await Bodies.Json(r), "customer_id")));
        Assert.Single(ids.Distinct(StringComparer.Ordinal));
        Assert.Equal(1, await Customers(business.BusinessId));
    }

    [Fact]
    public async Task Enabled_channels_that_fit_are_kept_on_the_session()
    {
        var response = await Create(ApiFixture.DevSecretKey, Body(b => b["allowed_payment_channels"] = new JsonArray("SANDBOX_CARD")));

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal("""["SANDBOX_CARD"]""", (await Bodies.Json(response))["allowed_payment_channels"]!.ToJsonString());
    }

    [Fact]
    public async Task A_customer_reference_recorded_with_other_details_is_409_DUPLICATE_ERROR_and_writes_nothing()
    {
        var business = await _api.NewBusiness();
        var customer = "cust_" + Guid.NewGuid().ToString("N");
        Assert.Equal(HttpStatusCode.Created, (await Create(business.SecretKey, Body(b => b["customer"]!["reference_id"] = customer))).StatusCode);

        var conflicting = await Create(business.SecretKey, Body(b =>
        {
            b["customer"]!["reference_id"] = customer;
            b["customer"]!["email"] = "someone.else@yourdomain.com";
        }));

        Assert.Equal(
            (HttpStatusCode.Conflict, """{"error_code":"DUPLICATE_ERROR","message":"customer: The reference_id entered has been used before. Please enter a unique reference_id"}"""),
            (conflicting.StatusCode, await conflicting.Content.ReadAsStringAsync()));
        Assert.Equal(1, await Sessions(business.BusinessId));
        Assert.Equal(1, await Customers(business.BusinessId));
    }

    [Fact]
    public async Task A_reused_reference_id_is_another_session_as_the_seeds_own_examples_do()
    {
        var reference = "order_" + Guid.NewGuid().ToString("N");

        var first = await Create(ApiFixture.DevSecretKey, Body(b => b["reference_id"] = reference));
        var second = await Create(ApiFixture.DevSecretKey, Body(b => b["reference_id"] = reference));

        Assert.Equal((HttpStatusCode.Created, HttpStatusCode.Created), (first.StatusCode, second.StatusCode));
        Assert.NotEqual(S(await Bodies.Json(first), "payment_session_id"), S(await Bodies.Json(second), "payment_session_id"));
        Assert.Equal(2, await _api.SessionRows(ApiFixture.DevBusiness, reference));
    }

    [Fact]
    public async Task A_customer_over_its_limit_gets_429_in_the_xendit_shape_with_Retry_After_whichever_way_it_is_named()
    {
        var business = await _api.NewBusiness();
        var customer = "cust_" + Guid.NewGuid().ToString("N");
        var first = await Bodies.Json(await Create(business.SecretKey, Body(b => b["customer"]!["reference_id"] = customer)));
        var byId = Body(b => { b.Remove("customer"); b["customer_id"] = S(first, "customer_id"); });
        for (var i = 1; i < PerCustomerLimit; i++)
        {
            Assert.Equal(HttpStatusCode.Created, (await Create(business.SecretKey, i % 2 == 0 ? byId : Body(b => b["customer"]!["reference_id"] = customer))).StatusCode);
        }

        var limitedById = await Create(business.SecretKey, byId);
        var limitedByObject = await Create(business.SecretKey, Body(b => b["customer"]!["reference_id"] = customer));
        var otherCustomer = await Create(business.SecretKey, Body());

        foreach (var limited in new[] { limitedById, limitedByObject })
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
            Assert.Equal("""{"error_code":"RATE_LIMIT_EXCEEDED","message":"Too many session requests"}""", await limited.Content.ReadAsStringAsync());
            Assert.InRange(int.Parse(limited.Headers.GetValues("Retry-After").Single(), CultureInfo.InvariantCulture), 1, 3600);
        }

        Assert.Equal(HttpStatusCode.Created, otherCustomer.StatusCode);
        Assert.Equal(PerCustomerLimit + 1, await Sessions(business.BusinessId));
    }

    [Fact]
    public async Task A_parent_creates_for_its_sub_account_which_it_then_reads_and_nobody_else_does()
    {
        var parent = await _api.NewBusiness("Platform Ltd");
        var subId = TestSessions.NewBusiness();
        Assert.True((await _api.Host.Grains.GetGrain<IBusinessGrain>(subId).RegisterSubAccount("Seller Shop", parent.BusinessId)).Accepted);
        var stranger = await _api.NewBusiness("Stranger Ltd");

        var created = await Create(parent.SecretKey, Body(), forUserId: subId);
        var strangerCreate = await Create(stranger.SecretKey, Body(), forUserId: subId);

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var json = await Bodies.Json(created);
        var id = S(json, "payment_session_id");
        Assert.Equal(subId, S(json, "business_id"));
        Assert.Equal(1, await Customers(subId));
        Assert.Equal(0, await Customers(parent.BusinessId));
        Assert.Equal(
            (HttpStatusCode.Forbidden, """{"error_code":"REQUEST_FORBIDDEN_ERROR","message":"The API key is not authorized to act for the for-user-id provided"}"""),
            (strangerCreate.StatusCode, await strangerCreate.Content.ReadAsStringAsync()));
        Assert.Equal(0, await Sessions(stranger.BusinessId));

        var parentRead = await Read(parent.SecretKey, id, subId);
        var parentWithoutHeader = await Read(parent.SecretKey, id, null);
        var strangerRead = await Read(stranger.SecretKey, id, null);

        Assert.Equal(HttpStatusCode.OK, parentRead.StatusCode);
        Assert.Equal(json.ToJsonString(), (await Bodies.Json(parentRead)).ToJsonString());
        Assert.Equal(HttpStatusCode.NotFound, parentWithoutHeader.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, strangerRead.StatusCode);
    }

    /// <summary>A generated request body: bytes, or JSON with placeholders replaced by fresh references at send time.</summary>
    public sealed record Attempt(byte[] Bytes)
    {
        public override string ToString()
        {
            var text = Encoding.UTF8.GetString(Bytes);
            return text.Length > 300 ? text[..300] + $"… ({Bytes.Length} bytes)" : text;
        }
    }

    [Fact]
    public async Task Any_body_answers_201_or_a_documented_4xx_in_the_xendit_shape_and_a_refused_one_writes_nothing()
    {
        var business = await _api.NewBusiness("Property Ltd");
        Assert.True((await _api.Host.Grains.GetGrain<IBusinessGrain>(business.BusinessId).EnableMethods(["sandbox_card", "sandbox_wallet"])).Accepted);
        var known = S(await Bodies.Json(await Create(business.SecretKey, Body())), "customer_id");

        var property = Prop.ForAll(Arb.From(Bodies_(known)), attempt => Task.Run(() => Holds(business, attempt)).GetAwaiter().GetResult());

        Check.One(Config.QuickThrowOnFailure.WithMaxTest(300), property);

        // The generator reaches both sides: bodies that create, and bodies that are refused.
        Assert.True(_answers.Contains(201) && _answers.Contains(400), $"answers seen: {string.Join(", ", _answers)}");
    }

    private readonly HashSet<int> _answers = [];

    private async Task<bool> Holds(IssuedKeys business, Attempt attempt)
    {
        var (sessionsBefore, customersBefore) = (await Sessions(business.BusinessId), await Customers(business.BusinessId));
        var bytes = Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(attempt.Bytes)
            .Replace("REF_PLACEHOLDER", "order_" + Guid.NewGuid().ToString("N"), StringComparison.Ordinal)
            .Replace("CUST_PLACEHOLDER", "cust_" + Guid.NewGuid().ToString("N"), StringComparison.Ordinal));
        if (!Encoding.UTF8.GetString(attempt.Bytes).Contains("PLACEHOLDER", StringComparison.Ordinal))
        {
            bytes = attempt.Bytes;
        }

        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri("/sessions", UriKind.Relative)) { Content = new ByteArrayContent(bytes) };
        request.Headers.Authorization = Basic(business.SecretKey);
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var response = await _api.Host.Http.SendAsync(request);
        var status = (int)response.StatusCode;
        var text = await response.Content.ReadAsStringAsync();
        var (sessionsAfter, customersAfter) = (await Sessions(business.BusinessId), await Customers(business.BusinessId));
        lock (_answers)
        {
            _answers.Add(status);
        }

        if (status == 201)
        {
            Assert.Equal(sessionsBefore + 1, sessionsAfter);
            Assert.InRange(customersAfter, customersBefore, customersBefore + 1);
            var json = JsonNode.Parse(text)!.AsObject();
            Assert.Equal(ResponseFields.Keys.Order(StringComparer.Ordinal), json.Select(p => p.Key).Order(StringComparer.Ordinal));
            return true;
        }

        Assert.True(status is 400 or 404 or 409 or 413 or 429, $"{status} {text} for {attempt}");
        Assert.True(IsXenditError(JsonNode.Parse(text)), $"{status} {text} for {attempt}");
        Assert.Equal((sessionsBefore, customersBefore), (sessionsAfter, customersAfter));
        return true;
    }

    private static bool IsXenditError(JsonNode? body) =>
        body is JsonObject json
        && json["error_code"]?.GetValueKind() == JsonValueKind.String
        && json["message"]?.GetValueKind() == JsonValueKind.String
        && (json["error_code"]!.GetValue<string>() == "API_VALIDATION_ERROR"
            ? json["errors"] is JsonArray { Count: 1 } errors && errors[0] is JsonObject { Count: 2 } error
                && error["message"]?.GetValueKind() == JsonValueKind.String && error["path"]?.GetValueKind() == JsonValueKind.String
            : json.Count == 2);

    // Bodies from valid to hostile: the seed's examples with one field replaced by any JSON value
    // or removed, lone surrogates, huge and tiny numbers, random JSON, random bytes.
    private static Gen<Attempt> Bodies_(string knownCustomer)
    {
        var templates = new[] { Template(XenditSeedExamples.Pay), Template(XenditSeedExamples.PayAndSave), Template(XenditSeedExamples.Save) };
        string[] fields =
        [
            "reference_id", "customer_id", "customer", "session_type", "allow_save_payment_method", "currency", "amount", "mode",
            "capture_method", "country", "channel_properties", "allowed_payment_channels", "expires_at", "locale", "metadata",
            "description", "items", "success_return_url", "cancel_return_url",
        ];
        var numbers = Gen.Elements("1e400", "-1", "0", "0.001", "10000.5", "123456789012345678901234567890", "1E+99999", "-0", "9223372036854775807", "100.00");
        var surrogate = Gen.Choose(0xD800, 0xDFFF).Select(c => $"\"x\\u{c:x4}y\"");
        var value = Gen.OneOf(
            numbers,
            surrogate,
            Gen.Elements("null", "true", "[]", "{}", "\"\"", "\"PAY\"", "\"SAVE\"", "\"IDR\"", "\"cust-" + "00000000-0000-4000-8000-000000000000\"", $"\"{knownCustomer}\"",
                "[\"SANDBOX_CARD\"]", "[\"NOPE\"]", "{\"a\":\"b\"}", "\"https://ok.example/x\"", "\"2099-01-01T00:00:00Z\"", "\"en\"", "\"xx\""),
            ArbMap.Default.GeneratorFor<string>().Select(s => JsonSerializer.Serialize(s ?? "")));
        var mutated =
            from template in Gen.Elements(templates)
            from field in Gen.Frequency((3, Gen.Elements(fields)), (1, Gen.Elements("amount", "session_type", "customer", "customer_id", "allowed_payment_channels")))
            from replace in Gen.Frequency((3, value.Select(v => (string?)v)), (1, Gen.Constant<string?>(null)))
            select Mutate(template, field, replace);
        var bytes = ArbMap.Default.GeneratorFor<byte[]>().Select(b => new Attempt(b));
        var anyJson = Gen.Elements("[]", "1", "\"x\"", "null", "{}", "{\"reference_id\":1}", "{\"amount\":1e400}", "{", "{\"a\":\"\\ud800\"}")
            .Select(s => new Attempt(Encoding.UTF8.GetBytes(s)));
        return Gen.Frequency(
            (1, Gen.Elements(templates).Select(t => new Attempt(Encoding.UTF8.GetBytes(t)))),
            (8, mutated),
            (1, bytes),
            (1, anyJson));
    }

    // A seed example whose session and customer references are replaced at send time by fresh
    // ones, so creates that succeed neither repeat a customer over its limit nor conflict.
    private static string Template(string example) => example
        .Replace("\"order_12345_PAY\"", "\"REF_PLACEHOLDER\"", StringComparison.Ordinal)
        .Replace("\"order_123456_SAVE\"", "\"REF_PLACEHOLDER\"", StringComparison.Ordinal)
        .Replace("\"cust_Lorem_Ipsum\"", "\"CUST_PLACEHOLDER\"", StringComparison.Ordinal);

    private static Attempt Mutate(string template, string field, string? replacement)
    {
        var json = JsonNode.Parse(template)!.AsObject();
        json.Remove(field);
        var text = json.ToJsonString();
        if (replacement is not null)
        {
            // Spliced as text: a lone surrogate or a number beyond double must reach the server as written.
            text = text[..^1] + $",\"{field}\":{replacement}}}";
        }

        return new Attempt(Encoding.UTF8.GetBytes(text));
    }

    private static string S(JsonObject json, string name) => json[name]!.GetValue<string>();

    private static JsonValueKind Kind(JsonNode? node) => node is null ? JsonValueKind.Null : node.GetValueKind();

    private static AuthenticationHeaderValue Basic(string key) => new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(key + ":")));

    /// <summary>The first seed example with fresh references, changed by <paramref name="change"/>.</summary>
    private static string Body(Action<JsonObject>? change = null)
    {
        var json = JsonNode.Parse(XenditSeedExamples.Pay)!.AsObject();
        json["reference_id"] = "order_" + Guid.NewGuid().ToString("N")[..20];
        json["customer"]!["reference_id"] = "cust_" + Guid.NewGuid().ToString("N");
        change?.Invoke(json);
        return json.ToJsonString();
    }

    private Task<HttpResponseMessage> Create(string key, string body, string? forUserId = null) =>
        _api.Send(HttpMethod.Post, "/sessions", null, body, request =>
        {
            request.Headers.Authorization = Basic(key);
            if (forUserId is not null)
            {
                request.Headers.Add("for-user-id", forUserId);
            }
        });

    private Task<HttpResponseMessage> Read(string key, string id, string? forUserId) =>
        _api.Send(HttpMethod.Get, $"/sessions/{id}", null, null, request =>
        {
            request.Headers.Authorization = Basic(key);
            if (forUserId is not null)
            {
                request.Headers.Add("for-user-id", forUserId);
            }
        });

    private async Task<long> Sessions(string businessId)
    {
        await using var command = host.Database.CreateCommand("SELECT count(*) FROM sessions WHERE business_id = $1");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = businessId });
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private async Task<long> Customers(string businessId)
    {
        await using var command = host.Database.CreateCommand("SELECT count(*) FROM customers WHERE business_id = $1");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = businessId });
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
