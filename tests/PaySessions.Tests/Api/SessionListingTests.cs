using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Npgsql;
using PaySessions.Grains.Merchants;
using PaySessions.Tests.Infrastructure;

namespace PaySessions.Tests.Api;

/// <summary>
/// <c>GET /session</c> (Payviox) and <c>GET /sessions</c> (Xendit) over real HTTP: the single GET's
/// objects newest first, secret keys only, own business (or the <c>for-user-id</c> sub-account)
/// and own dialect only, the filters, the limit and both cursors, and each dialect's validation
/// shape. Every test lists the sessions of businesses of its own, so its expectations are exact.
/// </summary>
public sealed class SessionListingTests(SessionListingTests.Host host) : IClassFixture<SessionListingTests.Host>
{
    private readonly ApiFixture _api = host.Api;

    /// <summary>Limits out of reach: these tests create many sessions per customer and present bad keys on purpose.</summary>
    public sealed class Host : IAsyncLifetime
    {
        public ApiFixture Api { get; } = new();

        public Task InitializeAsync() => Api.InitializeWith(new Dictionary<string, string?>
        {
            ["PaySessions:RateLimits:FailedAuthPerIp:Limit"] = "1000000",
            ["PaySessions:RateLimits:PerCustomer:Limit"] = "1000000",
            ["PaySessions:RateLimits:PerIp:Limit"] = "1000000",
        });

        public Task DisposeAsync() => Api.DisposeAsync();
    }

    [Fact]
    public async Task The_payviox_list_answers_the_single_GETs_objects_newest_first_to_the_secret_key_only()
    {
        var business = await _api.NewBusiness();
        var ids = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            ids.Add(await CreatePayviox(business.SecretKey));
        }

        var list = await _api.Get("/session", business.SecretKey);
        var withPublicKey = await _api.Get("/session", business.PublicKey);
        var withoutKey = await _api.Get("/session", null);

        Assert.Equal(HttpStatusCode.OK, list.StatusCode);
        var json = await Bodies.Json(list);
        Assert.False(json["has_more"]!.GetValue<bool>());
        var data = json["data"]!.AsArray();
        Assert.Equal(Enumerable.Reverse(ids), data.Select(s => s!["session_id"]!.GetValue<string>()));
        foreach (var session in data)
        {
            var single = await _api.Get($"/session/{session!["session_id"]}", business.SecretKey);
            var expected = await single.Content.ReadAsStringAsync();
            Assert.True(JsonNode.DeepEquals(JsonNode.Parse(expected), session), $"{expected} != {session.ToJsonString()}");
        }

        Assert.Equal((HttpStatusCode.Unauthorized, """{"error":"Unauthorized"}"""), (withPublicKey.StatusCode, await withPublicKey.Content.ReadAsStringAsync()));
        Assert.Equal((HttpStatusCode.Unauthorized, """{"error":"Unauthorized"}"""), (withoutKey.StatusCode, await withoutKey.Content.ReadAsStringAsync()));
    }

    [Fact]
    public async Task The_xendit_list_answers_the_single_GETs_objects_with_Basic_or_Bearer_and_refuses_a_public_key()
    {
        var business = await _api.NewBusiness();
        var first = await CreateXendit(business.SecretKey);
        var second = await CreateXendit(business.SecretKey);

        var basic = await ListXendit(business.SecretKey, "");
        var bearer = await _api.Get("/sessions", business.SecretKey);
        var publicKey = await ListXendit(business.PublicKey, "");

        Assert.Equal(HttpStatusCode.OK, basic.StatusCode);
        var json = await Bodies.Json(basic);
        Assert.False(json["has_more"]!.GetValue<bool>());
        var data = json["data"]!.AsArray();
        Assert.Equal([second, first], data.Select(s => s!["payment_session_id"]!.GetValue<string>()));
        foreach (var session in data)
        {
            var single = await ReadXendit(business.SecretKey, session!["payment_session_id"]!.GetValue<string>(), null);
            var expected = await single.Content.ReadAsStringAsync();
            Assert.True(JsonNode.DeepEquals(JsonNode.Parse(expected), session), $"{expected} != {session.ToJsonString()}");
        }

        Assert.Equal(await basic.Content.ReadAsStringAsync(), await bearer.Content.ReadAsStringAsync());
        Assert.Equal(
            (HttpStatusCode.Unauthorized, """{"error_code":"INVALID_API_KEY","message":"API key is not authorized for this API"}"""),
            (publicKey.StatusCode, await publicKey.Content.ReadAsStringAsync()));
    }

    [Fact]
    public async Task A_parent_lists_its_sub_accounts_sessions_only_with_for_user_id_and_a_stranger_is_403()
    {
        var parent = await _api.NewBusiness("Platform Ltd");
        var sub = TestSessions.NewBusiness();
        Assert.True((await _api.Host.Grains.GetGrain<IBusinessGrain>(sub).RegisterSubAccount("Seller Shop", parent.BusinessId)).Accepted);
        var stranger = await _api.NewBusiness("Stranger Ltd");
        var parents = await CreateXendit(parent.SecretKey);
        var subs = await CreateXendit(parent.SecretKey, forUserId: sub);

        var asSub = await ListXendit(parent.SecretKey, "", forUserId: sub);
        var asParent = await ListXendit(parent.SecretKey, "");
        var asSelf = await ListXendit(parent.SecretKey, "", forUserId: parent.BusinessId);
        var strangerAsSub = await ListXendit(stranger.SecretKey, "", forUserId: sub);
        var subCursorWithoutHeader = await ListXendit(parent.SecretKey, $"starting_after={subs}");

        Assert.Equal([subs], await XenditIds(asSub));
        Assert.Equal([parents], await XenditIds(asParent));
        Assert.Equal([parents], await XenditIds(asSelf));
        Assert.Equal(
            (HttpStatusCode.Forbidden, """{"error_code":"REQUEST_FORBIDDEN_ERROR","message":"The API key is not authorized to act for the for-user-id provided"}"""),
            (strangerAsSub.StatusCode, await strangerAsSub.Content.ReadAsStringAsync()));
        Assert.Equal(HttpStatusCode.BadRequest, subCursorWithoutHeader.StatusCode);
    }

    [Fact]
    public async Task Another_businesss_sessions_and_the_other_dialects_never_appear_and_are_no_cursor()
    {
        var mine = await _api.NewBusiness();
        var other = await _api.NewBusiness();
        var myPayviox = await CreatePayviox(mine.SecretKey);
        var myXendit = await CreateXendit(mine.SecretKey);
        var theirPayviox = await CreatePayviox(other.SecretKey);
        var theirXendit = await CreateXendit(other.SecretKey);

        Assert.Equal([myPayviox], await PayvioxIds(await _api.Get("/session?limit=100", mine.SecretKey)));
        Assert.Equal([myXendit], await XenditIds(await ListXendit(mine.SecretKey, "limit=100")));

        foreach (var cursor in new[] { theirPayviox, theirXendit, myXendit, "0123456789abcdef0123456789abcdef", "not-an-id" })
        {
            var payviox = await _api.Get($"/session?starting_after={cursor}", mine.SecretKey);
            Assert.Equal(
                (HttpStatusCode.BadRequest, """{"starting_after":["The selected starting after is invalid."]}"""),
                (payviox.StatusCode, await payviox.Content.ReadAsStringAsync()));
        }

        foreach (var cursor in new[] { theirXendit, theirPayviox, myPayviox, "ps-000000000000000000000000" })
        {
            var xendit = await ListXendit(mine.SecretKey, $"ending_before={cursor}");
            Assert.Equal(
                (HttpStatusCode.BadRequest, """{"error_code":"API_VALIDATION_ERROR","message":"request/query/ending_before must be the payment_session_id of a session of this business","errors":[{"message":"must be the payment_session_id of a session of this business","path":"/query/ending_before"}]}"""),
                (xendit.StatusCode, await xendit.Content.ReadAsStringAsync()));
        }
    }

    [Fact]
    public async Task Payviox_filters_status_customer_order_id_and_the_creation_window()
    {
        var business = await _api.NewBusiness();
        var customer = "cus_" + Guid.NewGuid().ToString("N")[..8];
        var a = await CreatePayviox(business.SecretKey, customer: customer);
        var b = await CreatePayviox(business.SecretKey, customer: customer);
        var c = await CreatePayviox(business.SecretKey);
        var canceled = await _api.Post($"/session/{b}/cancel", business.SecretKey, "{}");
        Assert.Equal(HttpStatusCode.OK, canceled.StatusCode);
        var orderOfC = (await Bodies.Json(await _api.Get($"/session/{c}", business.SecretKey)))["order_id"]!.GetValue<string>();
        var created = await CreatedTimes(business.BusinessId);

        Assert.Equal([b], await PayvioxIds(await _api.Get("/session?status=canceled", business.SecretKey)));
        Assert.Equal([c, a], await PayvioxIds(await _api.Get("/session?status=created", business.SecretKey)));
        Assert.Equal([c, b, a], await PayvioxIds(await _api.Get("/session?status=created,canceled", business.SecretKey)));
        Assert.Equal([], await PayvioxIds(await _api.Get("/session?status=completed", business.SecretKey)));
        Assert.Equal([b, a], await PayvioxIds(await _api.Get($"/session?customer={customer}", business.SecretKey)));
        Assert.Equal([a], await PayvioxIds(await _api.Get($"/session?customer={customer}&status=created", business.SecretKey)));
        Assert.Equal([c], await PayvioxIds(await _api.Get($"/session?order_id={orderOfC}", business.SecretKey)));
        // From is inclusive, to exclusive.
        Assert.Equal([c, b], await PayvioxIds(await _api.Get($"/session?created_from={Iso(created[b])}", business.SecretKey)));
        Assert.Equal([a], await PayvioxIds(await _api.Get($"/session?created_to={Iso(created[b])}", business.SecretKey)));
        Assert.Equal([b], await PayvioxIds(await _api.Get($"/session?created_from={Iso(created[b])}&created_to={Iso(created[c])}", business.SecretKey)));
        // The same instant in another offset, its '+' sent encoded or bare (a bare '+' arrives as a space).
        var inParis = created[b].ToOffset(TimeSpan.FromHours(1)).ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff", CultureInfo.InvariantCulture);
        Assert.Equal([c, b], await PayvioxIds(await _api.Get($"/session?created_from={inParis}%2B01:00", business.SecretKey)));
        Assert.Equal([c, b], await PayvioxIds(await _api.Get($"/session?created_from={inParis}+01:00", business.SecretKey)));
    }

    [Fact]
    public async Task Xendit_filters_status_words_customer_id_reference_id_and_the_creation_window()
    {
        var business = await _api.NewBusiness();
        var first = await Bodies.Json(await PostXendit(business.SecretKey, XenditBody(), null));
        var a = first["payment_session_id"]!.GetValue<string>();
        var customerId = first["customer_id"]!.GetValue<string>();
        var b = await CreateXendit(business.SecretKey, customerId: customerId);
        var c = await CreateXendit(business.SecretKey, reference: "shared_ref");
        var d = await CreateXendit(business.SecretKey, reference: "shared_ref");
        var cancel = await _api.Send(HttpMethod.Post, $"/sessions/{b}/cancel", null, null, r => r.Headers.Authorization = Basic(business.SecretKey));
        Assert.Equal(HttpStatusCode.OK, cancel.StatusCode);
        var created = await CreatedTimes(business.BusinessId);

        Assert.Equal([b], await XenditIds(await ListXendit(business.SecretKey, "status=CANCELED")));
        Assert.Equal([d, c, a], await XenditIds(await ListXendit(business.SecretKey, "status=ACTIVE")));
        Assert.Equal([], await XenditIds(await ListXendit(business.SecretKey, "status=COMPLETED,EXPIRED")));
        Assert.Equal([b, a], await XenditIds(await ListXendit(business.SecretKey, $"customer_id={customerId}")));
        Assert.Equal([d, c], await XenditIds(await ListXendit(business.SecretKey, "reference_id=shared_ref")));
        Assert.Equal([d, c], await XenditIds(await ListXendit(business.SecretKey, $"created_from={Iso(created[c])}")));
        Assert.Equal([b, a], await XenditIds(await ListXendit(business.SecretKey, $"created_to={Iso(created[c])}")));
    }

    [Fact]
    public async Task Cursors_page_forward_and_back_with_has_more_in_both_dialects()
    {
        var business = await _api.NewBusiness();
        var payviox = new List<string>();
        var xendit = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            payviox.Insert(0, await CreatePayviox(business.SecretKey));
            xendit.Insert(0, await CreateXendit(business.SecretKey));
        }

        // Newest first: [4, 3, 2, 1, 0] of creation.
        async Task<(List<string> Ids, bool HasMore)> Payviox(string query)
        {
            var json = await Bodies.Json(await _api.Get("/session?" + query, business.SecretKey));
            return ([.. json["data"]!.AsArray().Select(s => s!["session_id"]!.GetValue<string>())], json["has_more"]!.GetValue<bool>());
        }

        async Task<(List<string> Ids, bool HasMore)> Xendit(string query)
        {
            var json = await Bodies.Json(await ListXendit(business.SecretKey, query));
            return ([.. json["data"]!.AsArray().Select(s => s!["payment_session_id"]!.GetValue<string>())], json["has_more"]!.GetValue<bool>());
        }

        var cases = new (Func<string, Task<(List<string> Ids, bool HasMore)>> List, List<string> Ids)[] { (Payviox, payviox), (Xendit, xendit) };
        foreach (var (list, ids) in cases)
        {
            Assert.Equal((J(ids[0], ids[1]), true), Pair(await list("limit=2")));
            Assert.Equal((J(ids[2], ids[3]), true), Pair(await list($"limit=2&starting_after={ids[1]}")));
            Assert.Equal((J(ids[4]), false), Pair(await list($"limit=2&starting_after={ids[3]}")));
            Assert.Equal((J(), false), Pair(await list($"limit=2&starting_after={ids[4]}")));
            Assert.Equal((J(ids[2], ids[3]), true), Pair(await list($"limit=2&ending_before={ids[4]}")));
            Assert.Equal((J(ids[0], ids[1]), false), Pair(await list($"limit=2&ending_before={ids[2]}")));
            Assert.Equal((J(), false), Pair(await list($"ending_before={ids[0]}")));
            Assert.Equal((J([.. ids]), false), Pair(await list("limit=5")));
            Assert.Equal((J([.. ids]), false), Pair(await list("")));
        }

        static string J(params string[] ids) => string.Join(",", ids);

        static (string, bool) Pair((List<string> Ids, bool HasMore) page) => (string.Join(",", page.Ids), page.HasMore);
    }

    [Fact]
    public async Task Without_limit_a_page_holds_ten_and_limit_takes_one_to_a_hundred()
    {
        var business = await _api.NewBusiness();
        for (var i = 0; i < 11; i++)
        {
            await CreatePayviox(business.SecretKey);
        }

        var byDefault = await Bodies.Json(await _api.Get("/session", business.SecretKey));
        var one = await Bodies.Json(await _api.Get("/session?limit=1", business.SecretKey));
        var hundred = await Bodies.Json(await _api.Get("/session?limit=100", business.SecretKey));

        Assert.Equal((10, true), (byDefault["data"]!.AsArray().Count, byDefault["has_more"]!.GetValue<bool>()));
        Assert.Equal((1, true), (one["data"]!.AsArray().Count, one["has_more"]!.GetValue<bool>()));
        Assert.Equal((11, false), (hundred["data"]!.AsArray().Count, hundred["has_more"]!.GetValue<bool>()));
    }

    [Theory]
    [InlineData("limit=0", """{"limit":["The limit field must be between 1 and 100."]}""")]
    [InlineData("limit=101", """{"limit":["The limit field must be between 1 and 100."]}""")]
    [InlineData("limit=-1", """{"limit":["The limit field must be between 1 and 100."]}""")]
    [InlineData("limit=99999999999999999999", """{"limit":["The limit field must be between 1 and 100."]}""")]
    [InlineData("limit=ten", """{"limit":["The limit field must be an integer."]}""")]
    [InlineData("limit=1.5", """{"limit":["The limit field must be an integer."]}""")]
    [InlineData("limit=1&limit=2", """{"limit":["The limit field must be sent once."]}""")]
    [InlineData("status=ACTIVE", """{"status":["The selected status is invalid."]}""")]
    [InlineData("status=created,", """{"status":["The selected status is invalid."]}""")]
    [InlineData("created_from=2026-12-01", """{"created_from":["The created from field must be a valid ISO 8601 date with a time zone offset."]}""")]
    [InlineData("created_to=2026-12-01T10:00:00", """{"created_to":["The created to field must be a valid ISO 8601 date with a time zone offset."]}""")]
    [InlineData("created_from=2026-12-01T10:00:00Z&created_to=2026-12-01T10:00:00Z", """{"created_to":["The created to field must be a date after created from."]}""")]
    [InlineData("starting_after=0123456789abcdef0123456789abcdef&ending_before=0123456789abcdef0123456789abcdef", """{"starting_after":["The starting after field prohibits ending before from being present."]}""")]
    [InlineData("limit=0&status=x", """{"limit":["The limit field must be between 1 and 100."],"status":["The selected status is invalid."]}""")]
    public async Task Bad_payviox_parameters_are_field_errors_all_at_once(string query, string expected)
    {
        var business = await _api.NewBusiness();
        await CreatePayviox(business.SecretKey);

        var response = await _api.Get("/session?" + query, business.SecretKey);

        Assert.Equal((HttpStatusCode.BadRequest, expected), (response.StatusCode, await response.Content.ReadAsStringAsync()));
    }

    [Theory]
    [InlineData("limit=0", "/query/limit", "must be >= 1 and <= 100")]
    [InlineData("limit=101", "/query/limit", "must be >= 1 and <= 100")]
    [InlineData("limit=x", "/query/limit", "must be integer")]
    [InlineData("status=created", "/query/status", "must be equal to one of the allowed values: ACTIVE, COMPLETED, EXPIRED, CANCELED")]
    [InlineData("customer_id=cus_1", "/query/customer_id", "must be a customer id (cust- and a UUID)")]
    [InlineData("reference_id=" + "r123456789r123456789r123456789r123456789r123456789r123456789r1234", "/query/reference_id", "must NOT have more than 64 characters")]
    [InlineData("created_from=yesterday", "/query/created_from", "must match format \"date-time\" (ISO 8601 with an offset)")]
    [InlineData("created_from=2026-12-02T00:00:00Z&created_to=2026-12-01T00:00:00Z", "/query/created_to", "must be later than created_from")]
    [InlineData("starting_after=ps-000000000000000000000000&ending_before=ps-000000000000000000000000", "/query/starting_after", "must not be sent with ending_before")]
    [InlineData("status=ACTIVE&status=COMPLETED", "/query/status", "must be sent once")]
    public async Task Bad_xendit_parameters_are_API_VALIDATION_ERROR_with_query_paths(string query, string path, string problem)
    {
        var business = await _api.NewBusiness();

        var response = await ListXendit(business.SecretKey, query);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var json = await Bodies.Json(response);
        Assert.Equal("API_VALIDATION_ERROR", json["error_code"]!.GetValue<string>());
        Assert.Equal($"request{path} {problem}", json["message"]!.GetValue<string>());
        var error = Assert.Single(json["errors"]!.AsArray())!;
        Assert.Equal((problem, path), (error["message"]!.GetValue<string>(), error["path"]!.GetValue<string>()));
    }

    internal Task<string> CreatePayviox(string secretKey, string? customer = null) =>
        CreatePayviox(_api, secretKey, customer);

    internal static async Task<string> CreatePayviox(ApiFixture api, string secretKey, string? customer = null, string? orderId = null)
    {
        var response = await api.Post("/session", secretKey, Bodies.SeedExample(orderId, customer).ToJsonString());
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, body);
        return Bodies.ParseSessionId(body);
    }

    private Task<string> CreateXendit(string secretKey, string? forUserId = null, string? customerId = null, string? reference = null) =>
        CreateXendit(_api, secretKey, forUserId, customerId, reference);

    internal static async Task<string> CreateXendit(ApiFixture api, string secretKey, string? forUserId = null, string? customerId = null, string? reference = null, string? customerReference = null)
    {
        var response = await PostXendit(api, secretKey, XenditBody(customerId, reference, customerReference), forUserId);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, body);
        return JsonNode.Parse(body)!["payment_session_id"]!.GetValue<string>();
    }

    internal static string XenditBody(string? customerId = null, string? reference = null, string? customerReference = null)
    {
        var json = JsonNode.Parse(XenditSeedExamples.Pay)!.AsObject();
        json["reference_id"] = reference ?? "order_" + Guid.NewGuid().ToString("N")[..20];
        if (customerId is null)
        {
            json["customer"]!["reference_id"] = customerReference ?? "cust_" + Guid.NewGuid().ToString("N");
        }
        else
        {
            json.Remove("customer");
            json["customer_id"] = customerId;
        }

        return json.ToJsonString();
    }

    private Task<HttpResponseMessage> PostXendit(string key, string body, string? forUserId) => PostXendit(_api, key, body, forUserId);

    internal static Task<HttpResponseMessage> PostXendit(ApiFixture api, string key, string body, string? forUserId) =>
        api.Send(HttpMethod.Post, "/sessions", null, body, request =>
        {
            request.Headers.Authorization = Basic(key);
            if (forUserId is not null)
            {
                request.Headers.Add("for-user-id", forUserId);
            }
        });

    private Task<HttpResponseMessage> ListXendit(string key, string query, string? forUserId = null) => ListXendit(_api, key, query, forUserId);

    internal static Task<HttpResponseMessage> ListXendit(ApiFixture api, string key, string query, string? forUserId = null) =>
        api.Send(HttpMethod.Get, "/sessions?" + query, null, null, request =>
        {
            request.Headers.Authorization = Basic(key);
            if (forUserId is not null)
            {
                request.Headers.Add("for-user-id", forUserId);
            }
        });

    private Task<HttpResponseMessage> ReadXendit(string key, string id, string? forUserId) =>
        _api.Send(HttpMethod.Get, $"/sessions/{id}", null, null, request =>
        {
            request.Headers.Authorization = Basic(key);
            if (forUserId is not null)
            {
                request.Headers.Add("for-user-id", forUserId);
            }
        });

    internal static AuthenticationHeaderValue Basic(string key) => new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(key + ":")));

    internal static async Task<List<string>> PayvioxIds(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        return [.. JsonNode.Parse(body)!["data"]!.AsArray().Select(s => s!["session_id"]!.GetValue<string>())];
    }

    internal static async Task<List<string>> XenditIds(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        return [.. JsonNode.Parse(body)!["data"]!.AsArray().Select(s => s!["payment_session_id"]!.GetValue<string>())];
    }

    /// <summary>The creation times as the projection holds them (to the microsecond), by session id.</summary>
    private Task<Dictionary<string, DateTimeOffset>> CreatedTimes(string businessId) => CreatedTimes(_api, businessId);

    internal static async Task<Dictionary<string, DateTimeOffset>> CreatedTimes(ApiFixture api, string businessId)
    {
        await using var db = NpgsqlDataSource.Create(api.Host.ConnectionString);
        await using var command = db.CreateCommand("SELECT session_id, created_at FROM sessions WHERE business_id = $1");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = businessId });
        await using var reader = await command.ExecuteReaderAsync();
        var times = new Dictionary<string, DateTimeOffset>();
        while (await reader.ReadAsync())
        {
            times[reader.GetString(0)] = new DateTimeOffset(reader.GetFieldValue<DateTime>(1), TimeSpan.Zero);
        }

        return times;
    }

    /// <summary>ISO 8601 with an offset, to the microsecond, escaped for a query string.</summary>
    internal static string Iso(DateTimeOffset at) =>
        Uri.EscapeDataString(at.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture));
}
