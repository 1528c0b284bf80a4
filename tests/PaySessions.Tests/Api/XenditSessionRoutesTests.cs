using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using PaySessions.Grains.Merchants;
using PaySessions.Grains.Sessions;
using PaySessions.Tests.Infrastructure;
using PaySessions.Tests.Sessions;

namespace PaySessions.Tests.Api;

/// <summary>
/// The Xendit-style <c>/sessions</c> group over real HTTP: Basic or Bearer with the secret key,
/// the seed's 401 for every other credential, <c>for-user-id</c> for sub-accounts, the session
/// object on GET and cancel. Sessions are created through the grain (the create route is not
/// part of this group's tests), with test-mode keys of real businesses.
/// </summary>
public sealed class XenditSessionRoutesTests(XenditSessionRoutesTests.Host host) : IClassFixture<XenditSessionRoutesTests.Host>
{
    private const string PublicBaseUrl = "https://pay.example.test";
    private const string InvalidApiKey = """{"error_code":"INVALID_API_KEY","message":"API key is not authorized for this API"}""";
    private const string Forbidden = """{"error_code":"REQUEST_FORBIDDEN_ERROR","message":"The API key is not authorized to act for the for-user-id provided"}""";
    private const string NotFound = """{"error_code":"DATA_NOT_FOUND","message":"The payment session provided in the request does not exist"}""";

    private readonly ApiFixture _api = host.Api;

    /// <summary>A failed-key throttle out of reach: the bad-key cases present many from one address.</summary>
    public sealed class Host : IAsyncLifetime
    {
        public ApiFixture Api { get; } = new();

        public async Task InitializeAsync() => Api.Use(await TestHost.StartAsync(settings: new Dictionary<string, string?>
        {
            ["PaySessions:RateLimits:FailedAuthPerIp:Limit"] = "1000000",
            ["PaySessions:PublicBaseUrl"] = PublicBaseUrl + "/",
        }));

        public Task DisposeAsync() => Api.DisposeAsync();
    }

    [Fact]
    public async Task Basic_with_the_secret_key_and_an_empty_password_works_and_so_does_Bearer()
    {
        var id = await NewXenditSession(ApiFixture.DevBusiness);

        var basic = await Send(HttpMethod.Get, $"/sessions/{id}", BasicHeader(ApiFixture.DevSecretKey));
        var bearer = await Send(HttpMethod.Get, $"/sessions/{id}", new AuthenticationHeaderValue("Bearer", ApiFixture.DevSecretKey));
        var basicOnPayviox = await Send(HttpMethod.Get, $"/session/{id}", BasicHeader(ApiFixture.DevSecretKey));

        Assert.Equal(HttpStatusCode.OK, basic.StatusCode);
        Assert.Equal(HttpStatusCode.OK, bearer.StatusCode);
        Assert.Equal(id, (await Bodies.Json(basic))["payment_session_id"]!.GetValue<string>());
        Assert.Equal(await basic.Content.ReadAsStringAsync(), await bearer.Content.ReadAsStringAsync());
        // The Payviox-style routes keep Bearer only.
        Assert.Equal(HttpStatusCode.Unauthorized, basicOnPayviox.StatusCode);
    }

    [Theory]
    [InlineData("missing")]
    [InlineData("public key, Basic")]
    [InlineData("public key, Bearer")]
    [InlineData("unknown key")]
    [InlineData("revoked key")]
    [InlineData("password not empty")]
    [InlineData("not base64")]
    [InlineData("no colon")]
    public async Task Every_other_credential_is_exactly_the_seeds_401(string credential)
    {
        var id = await NewXenditSession(ApiFixture.DevBusiness);
        var revoked = await _api.NewBusiness();
        Assert.True(await _api.Host.Grains.GetGrain<IBusinessGrain>(revoked.BusinessId).RevokeKey(ApiKeys.Hash(revoked.SecretKey)));
        AuthenticationHeaderValue? header = credential switch
        {
            "missing" => null,
            "public key, Basic" => BasicHeader(ApiFixture.DevPublicKey),
            "public key, Bearer" => new("Bearer", ApiFixture.DevPublicKey),
            "unknown key" => BasicHeader("sk_test_unknown0000000000000000"),
            "revoked key" => BasicHeader(revoked.SecretKey),
            "password not empty" => new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(ApiFixture.DevSecretKey + ":secret"))),
            "not base64" => new("Basic", "%%%not-base64%%%"),
            _ => new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(ApiFixture.DevSecretKey))),
        };

        var read = await Send(HttpMethod.Get, $"/sessions/{id}", header);
        var cancel = await Send(HttpMethod.Post, $"/sessions/{id}/cancel", header);

        Assert.Equal((HttpStatusCode.Unauthorized, InvalidApiKey), (read.StatusCode, await read.Content.ReadAsStringAsync()));
        Assert.Equal((HttpStatusCode.Unauthorized, InvalidApiKey), (cancel.StatusCode, await cancel.Content.ReadAsStringAsync()));
        Assert.Equal(SessionStatus.Created, (await _api.Host.Grains.GetGrain<IPaymentSessionGrain>(id).GetSnapshot())!.Status);
    }

    [Fact]
    public async Task Get_answers_every_field_of_the_seeds_example_in_its_names_and_types()
    {
        var id = await NewXenditSession(ApiFixture.DevBusiness);

        var response = await Send(HttpMethod.Get, $"/sessions/{id}", BasicHeader(ApiFixture.DevSecretKey));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var json = await Bodies.Json(response);
        var expected = new Dictionary<string, JsonValueKind[]>
        {
            ["payment_session_id"] = [JsonValueKind.String],
            ["created"] = [JsonValueKind.String],
            ["updated"] = [JsonValueKind.String],
            ["reference_id"] = [JsonValueKind.String],
            ["customer_id"] = [JsonValueKind.String],
            ["session_type"] = [JsonValueKind.String],
            ["allow_save_payment_method"] = [JsonValueKind.String],
            ["currency"] = [JsonValueKind.String],
            ["amount"] = [JsonValueKind.Number],
            ["country"] = [JsonValueKind.String],
            ["mode"] = [JsonValueKind.String],
            ["capture_method"] = [JsonValueKind.String],
            ["channel_properties"] = [JsonValueKind.Object],
            ["allowed_payment_channels"] = [JsonValueKind.Array],
            ["expires_at"] = [JsonValueKind.String],
            ["locale"] = [JsonValueKind.String],
            ["metadata"] = [JsonValueKind.Object],
            ["description"] = [JsonValueKind.String],
            ["items"] = [JsonValueKind.Array],
            ["success_return_url"] = [JsonValueKind.String],
            ["cancel_return_url"] = [JsonValueKind.String],
            ["status"] = [JsonValueKind.String],
            ["payment_link_url"] = [JsonValueKind.String],
            ["payment_token_id"] = [JsonValueKind.Null],
            ["payment_id"] = [JsonValueKind.Null],
            ["payment_request_id"] = [JsonValueKind.Null],
            ["business_id"] = [JsonValueKind.String],
            ["manual_review"] = [JsonValueKind.False],
        };
        Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), json.Select(p => p.Key).Order(StringComparer.Ordinal));
        foreach (var (name, kinds) in expected)
        {
            Assert.True(kinds.Contains(Kind(json[name])), $"{name} is {Kind(json[name])}");
        }

        var snapshot = (await _api.Host.Grains.GetGrain<IPaymentSessionGrain>(id).GetSnapshot())!;
        Assert.Equal(id, json["payment_session_id"]!.GetValue<string>());
        Assert.Equal(snapshot.OrderId, json["reference_id"]!.GetValue<string>());
        Assert.Equal("cust-b98d6f63-d240-44ec-9bd5-aa42954c4f48", json["customer_id"]!.GetValue<string>());
        Assert.Equal(("PAY", "OPTIONAL", "PHP", "PH"), (S(json, "session_type"), S(json, "allow_save_payment_method"), S(json, "currency"), S(json, "country")));
        Assert.Equal(("PAYMENT_LINK", "AUTOMATIC", "en", "ACTIVE"), (S(json, "mode"), S(json, "capture_method"), S(json, "locale"), S(json, "status")));
        Assert.Equal("10000.00", json["amount"]!.ToJsonString());
        Assert.Equal("""{"cards":{"skip_three_ds":false}}""", json["channel_properties"]!.ToJsonString());
        Assert.Equal("""["SANDBOX_CARD","SANDBOX_WALLET"]""", json["allowed_payment_channels"]!.ToJsonString());
        Assert.Equal("""{"plan":"premium"}""", json["metadata"]!.ToJsonString());
        Assert.Equal("Sample one-time payment using Payment Session", S(json, "description"));
        Assert.Equal(
            """[{"reference_id":"item_001","type":"PHYSICAL_PRODUCT","name":"Clothes","net_unit_amount":5000,"quantity":1,"category":"CLOTHES","subcategory":null,"description":"Red clothes","url":"https://example.com/item","image_url":null,"currency":"PHP","metadata":{"colour":"red"}},"""
            + """{"reference_id":"item_002","type":"PHYSICAL_PRODUCT","name":"Pants","net_unit_amount":5000.5,"quantity":1,"category":"CLOTHES","subcategory":"TROUSERS","description":null,"url":null,"image_url":"http://example.com/pants.png","currency":null,"metadata":null}]""",
            json["items"]!.ToJsonString());
        Assert.Equal("https://yourcompany.com/success/example_item=my_item", S(json, "success_return_url"));
        Assert.Equal("https://yourcompany.com/cancel/example_item=my_item", S(json, "cancel_return_url"));
        Assert.Equal($"{PublicBaseUrl}/pay/{id}", S(json, "payment_link_url"));
        Assert.Equal(ApiFixture.DevBusiness, S(json, "business_id"));
        Assert.Matches(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$", S(json, "created"));
        Assert.Equal(snapshot.ExpiresAt, DateTimeOffset.Parse(S(json, "expires_at"), System.Globalization.CultureInfo.InvariantCulture), TimeSpan.FromMilliseconds(1));
        Assert.Equal(S(json, "created"), S(json, "updated"));
    }

    [Fact]
    public async Task A_save_session_without_metadata_or_items_answers_nulls_and_an_empty_channel_properties()
    {
        var id = await NewXenditSession(ApiFixture.DevBusiness, SessionType.Save);

        var json = await Bodies.Json(await Send(HttpMethod.Get, $"/sessions/{id}", BasicHeader(ApiFixture.DevSecretKey)));

        Assert.Equal(("SAVE", "IDR", "0"), (S(json, "session_type"), S(json, "currency"), json["amount"]!.ToJsonString()));
        Assert.Null(json["capture_method"]);
        Assert.Null(json["items"]);
        Assert.Null(json["metadata"]);
        Assert.True(json.ContainsKey("metadata") && json.ContainsKey("items") && json.ContainsKey("capture_method"));
        Assert.Equal("{}", json["channel_properties"]!.ToJsonString());
        Assert.Equal("[]", json["allowed_payment_channels"]!.ToJsonString());
    }

    [Fact]
    public async Task Cancel_turns_an_active_session_canceled_and_a_second_cancel_is_400_INELIGIBLE_TRANSACTION_STATUS()
    {
        var id = await NewXenditSession(ApiFixture.DevBusiness);

        var first = await Send(HttpMethod.Post, $"/sessions/{id}/cancel", BasicHeader(ApiFixture.DevSecretKey));
        var second = await Send(HttpMethod.Post, $"/sessions/{id}/cancel", BasicHeader(ApiFixture.DevSecretKey));
        var read = await Send(HttpMethod.Get, $"/sessions/{id}", BasicHeader(ApiFixture.DevSecretKey));

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        var canceled = await Bodies.Json(first);
        Assert.Equal(("CANCELED", id), (S(canceled, "status"), S(canceled, "payment_session_id")));
        Assert.Equal(HttpStatusCode.BadRequest, second.StatusCode);
        Assert.Equal(
            """{"error_code":"INELIGIBLE_TRANSACTION_STATUS","message":"The payment session is CANCELED; only an ACTIVE session can be canceled"}""",
            await second.Content.ReadAsStringAsync());
        Assert.Equal("CANCELED", S(await Bodies.Json(read), "status"));
        Assert.Equal(SessionStatus.Canceled, (await _api.Host.Grains.GetGrain<IPaymentSessionGrain>(id).GetSnapshot())!.Status);
    }

    [Fact]
    public async Task A_parent_with_for_user_id_reads_and_cancels_its_sub_accounts_session_and_nobody_else_does()
    {
        var (parent, sub) = await Family();
        var (stranger, strangersSub) = await Family();
        var id = await NewXenditSession(sub.BusinessId);

        var parentRead = await Send(HttpMethod.Get, $"/sessions/{id}", BasicHeader(parent.SecretKey), sub.BusinessId);
        var parentWithoutHeader = await Send(HttpMethod.Get, $"/sessions/{id}", BasicHeader(parent.SecretKey));
        var strangerWithoutHeader = await Send(HttpMethod.Get, $"/sessions/{id}", BasicHeader(stranger.SecretKey));
        var strangerNamingTheSub = await Send(HttpMethod.Get, $"/sessions/{id}", BasicHeader(stranger.SecretKey), sub.BusinessId);
        var strangerWithItsOwnSub = await Send(HttpMethod.Post, $"/sessions/{id}/cancel", BasicHeader(stranger.SecretKey), strangersSub.BusinessId);
        var parentNamingAStrangersSub = await Send(HttpMethod.Post, $"/sessions/{id}/cancel", BasicHeader(parent.SecretKey), strangersSub.BusinessId);
        var subNamingItsParent = await Send(HttpMethod.Get, $"/sessions/{id}", BasicHeader(sub.SecretKey), parent.BusinessId);
        var subItself = await Send(HttpMethod.Get, $"/sessions/{id}", BasicHeader(sub.SecretKey));

        Assert.Equal(HttpStatusCode.OK, parentRead.StatusCode);
        Assert.Equal(sub.BusinessId, S(await Bodies.Json(parentRead), "business_id"));
        Assert.Equal((HttpStatusCode.NotFound, NotFound), (parentWithoutHeader.StatusCode, await parentWithoutHeader.Content.ReadAsStringAsync()));
        Assert.Equal((HttpStatusCode.NotFound, NotFound), (strangerWithoutHeader.StatusCode, await strangerWithoutHeader.Content.ReadAsStringAsync()));
        Assert.Equal((HttpStatusCode.Forbidden, Forbidden), (strangerNamingTheSub.StatusCode, await strangerNamingTheSub.Content.ReadAsStringAsync()));
        Assert.Equal((HttpStatusCode.NotFound, NotFound), (strangerWithItsOwnSub.StatusCode, await strangerWithItsOwnSub.Content.ReadAsStringAsync()));
        Assert.Equal((HttpStatusCode.Forbidden, Forbidden), (parentNamingAStrangersSub.StatusCode, await parentNamingAStrangersSub.Content.ReadAsStringAsync()));
        Assert.Equal((HttpStatusCode.Forbidden, Forbidden), (subNamingItsParent.StatusCode, await subNamingItsParent.Content.ReadAsStringAsync()));
        Assert.Equal(HttpStatusCode.OK, subItself.StatusCode);
        Assert.Equal(SessionStatus.Created, (await _api.Host.Grains.GetGrain<IPaymentSessionGrain>(id).GetSnapshot())!.Status);

        var parentCancel = await Send(HttpMethod.Post, $"/sessions/{id}/cancel", BasicHeader(parent.SecretKey), sub.BusinessId);

        Assert.Equal(HttpStatusCode.OK, parentCancel.StatusCode);
        Assert.Equal("CANCELED", S(await Bodies.Json(parentCancel), "status"));
    }

    [Fact]
    public async Task A_payviox_session_an_unknown_id_and_another_businesss_session_are_404_DATA_NOT_FOUND()
    {
        var payviox = SessionIds.New();
        Assert.True((await _api.Host.Grains.GetGrain<IPaymentSessionGrain>(payviox).Create(TestSessions.Command(ApiFixture.DevBusiness))).IsCreated);
        var other = await _api.NewBusiness();
        var othersSession = await NewXenditSession(other.BusinessId);

        foreach (var path in new[] { $"/sessions/{payviox}", $"/sessions/{SessionIds.NewXendit()}", $"/sessions/{othersSession}", "/sessions/not-an-id" })
        {
            var read = await Send(HttpMethod.Get, path, BasicHeader(ApiFixture.DevSecretKey));
            var cancel = await Send(HttpMethod.Post, path + "/cancel", BasicHeader(ApiFixture.DevSecretKey));
            Assert.Equal((HttpStatusCode.NotFound, NotFound), (read.StatusCode, await read.Content.ReadAsStringAsync()));
            Assert.Equal((HttpStatusCode.NotFound, NotFound), (cancel.StatusCode, await cancel.Content.ReadAsStringAsync()));
        }

        Assert.Equal(SessionStatus.Created, (await _api.Host.Grains.GetGrain<IPaymentSessionGrain>(payviox).GetSnapshot())!.Status);
        Assert.Equal(SessionStatus.Created, (await _api.Host.Grains.GetGrain<IPaymentSessionGrain>(othersSession).GetSnapshot())!.Status);
    }

    private static string S(JsonObject json, string name) => json[name]!.GetValue<string>();

    private static JsonValueKind Kind(JsonNode? node) => node is null ? JsonValueKind.Null : node.GetValueKind();

    private static AuthenticationHeaderValue BasicHeader(string key) =>
        new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(key + ":")));

    private Task<HttpResponseMessage> Send(HttpMethod method, string path, AuthenticationHeaderValue? authorization, string? forUserId = null) =>
        _api.Send(method, path, key: null, body: null, request =>
        {
            request.Headers.Authorization = authorization;
            if (forUserId is not null)
            {
                request.Headers.Add("for-user-id", forUserId);
            }
        });

    /// <summary>A parent business and one sub-account, each with its own test keys.</summary>
    private async Task<(IssuedKeys Parent, IssuedKeys Sub)> Family()
    {
        var parent = await _api.NewBusiness("Platform Ltd");
        var subId = TestSessions.NewBusiness();
        var sub = _api.Host.Grains.GetGrain<IBusinessGrain>(subId);
        Assert.True((await sub.RegisterSubAccount("Seller Shop", parent.BusinessId)).Accepted);
        return (parent, await sub.IssueKeys(ApiKeyMode.Test));
    }

    private async Task<string> NewXenditSession(string businessId, SessionType type = SessionType.Pay)
    {
        var id = SessionIds.NewXendit();
        var details = type == SessionType.Pay
            ? XenditSessionFactsTests.PayDetails()
            : new XenditSessionDetails { CustomerId = "cust-e2878b4c-d57e-4a2c-922d-c0313c2800a3", Mode = IntegrationMode.PaymentLink, Country = "ID", AmountAsSent = 0m };
        var created = await _api.Host.Grains.GetGrain<IPaymentSessionGrain>(id).Create(new CreateSession
        {
            BusinessId = businessId,
            OrderId = "order_" + Guid.NewGuid().ToString("N")[..12],
            Customer = details.CustomerId!,
            Amount = type == SessionType.Pay ? 1000000 : 0,
            Currency = type == SessionType.Pay ? "PHP" : "IDR",
            Items = [],
            Description = "Sample one-time payment using Payment Session",
            Metadata = type == SessionType.Pay ? new Dictionary<string, string> { ["plan"] = "premium" } : new Dictionary<string, string>(),
            Dialect = SessionDialect.Xendit,
            SessionType = type,
            Xendit = details,
        });
        Assert.True(created.IsCreated, created.Message);
        return id;
    }
}
