using System.Net;
using System.Text.Json.Nodes;
using PaySessions.Grains.Sessions;
using PaySessions.Tests.Infrastructure;

namespace PaySessions.Tests.Api;

/// <summary>
/// <c>GET /payment/{session_id}</c> over real HTTP: the status through a session's life, the payer's
/// address and browser as recorded by the request that paid, the sandbox's test card, what a
/// provider reports (and what happens when it reports it badly), and who may read it.
/// </summary>
[Collection(ApiCollection.Name)]
public sealed class PaymentDetailsTests(ApiFixture api)
{
    private const string Browser = "Mozilla/5.0 (X11; Linux x86_64) PaymentDetailsTests/1.0";

    private static readonly string[] DocumentedFields =
    [
        "session_id", "status", "amount", "fees", "net_amount", "currency", "order_id", "customer", "description", "items", "metadata",
        "payment_method", "provider", "created_at", "customer_details", "payment_details", "ip", "country", "user_agent",
    ];

    [Fact]
    public async Task The_status_goes_from_null_to_pending_to_failed_to_succeeded_with_the_sandbox_card()
    {
        var body = Bodies.SeedExample();
        var id = await Create(body);

        var before = await Payment(id);
        Assert.Equal(DocumentedFields, before.Select(p => p.Key));
        Assert.Null(before["status"]);
        Assert.Equal(id, before["session_id"]!.GetValue<string>());
        Assert.Equal(10000, before["amount"]!.GetValue<long>());
        Assert.Equal("USD", before["currency"]!.GetValue<string>());
        Assert.Equal(body["order_id"]!.GetValue<string>(), before["order_id"]!.GetValue<string>());
        Assert.Equal(body["customer"]!.GetValue<string>(), before["customer"]!.GetValue<string>());
        Assert.Equal("Premium subscription", before["description"]!.GetValue<string>());
        Assert.True(JsonNode.DeepEquals(body["items"], before["items"]));
        Assert.True(JsonNode.DeepEquals(body["metadata"], before["metadata"]));
        foreach (var unknown in new[] { "fees", "net_amount", "payment_method", "provider", "customer_details", "payment_details", "ip", "country", "user_agent" })
        {
            Assert.Null(before[unknown]);
        }

        var checkout = await Pay(id, ApiFixture.DevPublicKey, "sandbox_card", Browser);
        var pending = await Payment(id);
        Assert.Equal("pending", pending["status"]!.GetValue<string>());
        Assert.Equal("sandbox_card", pending["payment_method"]!.GetValue<string>());
        Assert.Equal("sandbox", pending["provider"]!.GetValue<string>());
        Assert.Equal("127.0.0.1", pending["ip"]!.GetValue<string>());
        Assert.Equal(Browser, pending["user_agent"]!.GetValue<string>());
        Assert.Null(pending["payment_details"]);

        Assert.Equal(HttpStatusCode.OK, (await api.Host.Http.PostAsync(new Uri(checkout + "/decline"), null)).StatusCode);
        Assert.Equal("failed", (await Payment(id))["status"]!.GetValue<string>());

        // A new attempt after the decline is pending again, with the browser that started it.
        var retry = await Pay(id, ApiFixture.DevPublicKey, "sandbox_card", Browser + " retry");
        Assert.NotEqual(checkout, retry);
        var again = await Payment(id);
        Assert.Equal("pending", again["status"]!.GetValue<string>());
        Assert.Equal(Browser + " retry", again["user_agent"]!.GetValue<string>());

        Assert.Equal(HttpStatusCode.OK, (await api.Host.Http.PostAsync(new Uri(retry + "/approve"), null)).StatusCode);
        var paid = await Payment(id);
        Assert.Equal(DocumentedFields, paid.Select(p => p.Key));
        Assert.Equal("succeeded", paid["status"]!.GetValue<string>());
        Assert.Equal(Browser + " retry", paid["user_agent"]!.GetValue<string>());
        Assert.Equal("127.0.0.1", paid["ip"]!.GetValue<string>());
        Assert.True(
            JsonNode.DeepEquals(
                JsonNode.Parse($$$"""{"type":"card","card":{"brand":"visa","last4":"4242","exp_month":12,"exp_year":{{{DateTimeOffset.UtcNow.Year + 3}}},"country":"US"}}"""),
                paid["payment_details"]),
            paid["payment_details"]?.ToJsonString());

        // The sandbox knows no payer, and the service no payer's country. The fee is the one recorded
        // at completion from sandbox_card's schedule: 2.9 % of 100.00 USD plus 0.30.
        Assert.Null(paid["customer_details"]);
        Assert.Null(paid["country"]);
        Assert.Equal(320, paid["fees"]!.GetValue<long>());
        Assert.Equal(10000 - 320, paid["net_amount"]!.GetValue<long>());
    }

    [Fact]
    public async Task A_wallet_payment_reports_its_type_without_a_card()
    {
        var id = await Create();
        var checkout = await Pay(id, ApiFixture.DevPublicKey, "sandbox_wallet", Browser);

        await api.Host.Http.PostAsync(new Uri(checkout + "/approve"), null);

        var paid = await Payment(id);
        Assert.Equal("succeeded", paid["status"]!.GetValue<string>());
        Assert.Equal("""{"type":"wallet","card":null}""", paid["payment_details"]!.ToJsonString());
    }

    [Fact]
    public async Task A_canceled_session_is_canceled_and_a_success_in_other_figures_is_pending_review()
    {
        var canceled = await Create();
        Assert.Equal(HttpStatusCode.OK, (await api.Post($"/session/{canceled}/cancel", ApiFixture.DevSecretKey, "")).StatusCode);

        var mismatched = await Create();
        var reference = Sandbox.ReferenceFrom(await Pay(mismatched, ApiFixture.DevSecretKey, "sandbox_card"));
        var underpaid = Sandbox.Body(reference, succeeded: true, paymentId: "pay_short", amount: 9999);
        Assert.Equal(HttpStatusCode.OK, (await Sandbox.Deliver(api.Host.Http, underpaid, Sandbox.Sign(underpaid))).StatusCode);

        Assert.Equal("canceled", (await Payment(canceled))["status"]!.GetValue<string>());
        var review = await Payment(mismatched);
        Assert.Equal("pending_review", review["status"]!.GetValue<string>());
        Assert.Null(review["payment_details"]);
    }

    [Fact]
    public async Task A_session_whose_time_ran_out_is_expired()
    {
        // Through the grain: the Payviox route gives no expiry nearer than 24 hours.
        var id = SessionIds.NewFor(SessionDialect.Payviox);
        var created = await api.Host.Grains.GetGrain<IPaymentSessionGrain>(id)
            .Create(TestSessions.Command(ApiFixture.DevBusiness, expiresIn: TimeSpan.FromSeconds(1)));
        Assert.Equal(CreateSessionRejection.None, created.Rejection);

        var expired = await Eventually.Read(() => Payment(id), p => p["status"] is not null, TimeSpan.FromSeconds(30));

        Assert.Equal("expired", expired["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task Only_the_owners_secret_key_reads_a_payment_and_anything_else_is_not_found_or_unauthorized()
    {
        var id = await Create();
        var other = await api.NewBusiness("Curious Competitor");
        var xendit = await XenditTestSessions.Create(api, ApiFixture.DevSecretKey, SessionType.Pay);

        Assert.Equal(HttpStatusCode.OK, (await api.Get($"/payment/{id}", ApiFixture.DevSecretKey)).StatusCode);
        foreach (var key in new[] { ApiFixture.DevPublicKey, other.PublicKey, null })
        {
            var refused = await api.Get($"/payment/{id}", key);
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
            Assert.Equal("""{"error":"Unauthorized"}""", await refused.Content.ReadAsStringAsync());
        }

        foreach (var (path, key) in new[]
        {
            ($"/payment/{id}", other.SecretKey),
            ($"/payment/{TestSessions.NewId()}", ApiFixture.DevSecretKey),
            ("/payment/not-a-session", ApiFixture.DevSecretKey),
            ($"/payment/{id.ToUpperInvariant()}", ApiFixture.DevSecretKey),
            ($"/payment/{xendit}", ApiFixture.DevSecretKey),
        })
        {
            var missing = await api.Get(path, key);
            Assert.True(missing.StatusCode == HttpStatusCode.NotFound, $"{path}: {(int)missing.StatusCode}");
            Assert.Equal("""{"error":"Payment not found"}""", await missing.Content.ReadAsStringAsync());
        }
    }

    [Fact]
    public async Task A_secret_key_payment_records_the_ip_the_server_gave_and_no_user_agent()
    {
        var id = await Create();

        await Pay(id, ApiFixture.DevSecretKey, "sandbox_card", Browser, ip: "198.51.100.7");

        var payment = await Payment(id);
        Assert.Equal("198.51.100.7", payment["ip"]!.GetValue<string>());
        Assert.Null(payment["user_agent"]);
    }

    [Fact]
    public async Task A_direct_redirect_records_the_browser_with_a_public_key_and_only_the_given_ip_with_a_secret_key()
    {
        var fromBrowser = await CreateWithMethod(ApiFixture.DevPublicKey, body => { });
        var fromServer = await CreateWithMethod(ApiFixture.DevSecretKey, body => body["ip"] = "203.0.113.77");

        var browserPayment = await Payment(fromBrowser);
        var serverPayment = await Payment(fromServer);

        Assert.Equal("pending", browserPayment["status"]!.GetValue<string>());
        Assert.Equal("127.0.0.1", browserPayment["ip"]!.GetValue<string>());
        Assert.Equal(Browser, browserPayment["user_agent"]!.GetValue<string>());
        Assert.Equal("203.0.113.77", serverPayment["ip"]!.GetValue<string>());
        Assert.Null(serverPayment["user_agent"]);
    }

    [Fact]
    public async Task A_long_user_agent_is_kept_to_its_first_512_characters()
    {
        var id = await Create();
        var longAgent = "Mozilla/5.0 " + new string('x', 700);

        await Pay(id, ApiFixture.DevPublicKey, "sandbox_card", longAgent);

        Assert.Equal(longAgent[..PayerFacts.MaxUserAgentLength], (await Payment(id))["user_agent"]!.GetValue<string>());
    }

    [Fact]
    public async Task What_a_provider_reports_about_the_payer_and_the_card_is_shown_as_reported()
    {
        var id = await Create();
        var reference = Sandbox.ReferenceFrom(await Pay(id, ApiFixture.DevPublicKey, "sandbox_card", Browser));
        var customer = JsonNode.Parse("""
            {"name":"Jenny Rosen","email":"jenny@example.com","phone":"+1 415 555 0100",
             "address":{"line1":"510 Townsend St","line2":null,"city":"San Francisco","state":"CA","postal_code":"94103","country":"US"}}
            """);
        var card = JsonNode.Parse("""{"type":"card","card":{"brand":"mastercard","last4":"0005","exp_month":3,"exp_year":2031,"country":"GB"}}""");

        var body = Sandbox.SuccessWithDetails(reference, customer, card);
        Assert.Equal(HttpStatusCode.OK, (await Sandbox.Deliver(api.Host.Http, body, Sandbox.Sign(body))).StatusCode);

        var paid = await Payment(id);
        Assert.Equal("succeeded", paid["status"]!.GetValue<string>());
        Assert.True(JsonNode.DeepEquals(customer, paid["customer_details"]), paid["customer_details"]?.ToJsonString());
        Assert.True(JsonNode.DeepEquals(card, paid["payment_details"]), paid["payment_details"]?.ToJsonString());
    }

    public static TheoryData<string, string> MalformedDetails => new()
    {
        { """{"name":"Jenny Rosen"}""", """{"type":"card","card":{"brand":"visa","last4":"42a2"}}""" },
        { """{"name":"Jenny Rosen"}""", """{"type":"card","card":{"last4":"4242","exp_month":13}}""" },
        { """{"name":"Jenny Rosen"}""", """{"card":{"last4":"4242"}}""" },
        { """{"name":"Jenny Rosen"}""", "\"visa\"" },
        { """{"name":"Jenny\u0000Rosen"}""", """{"type":"card","card":{"last4":"4242","exp_year":"2030"}}""" },
        { """{"email":42}""", """{"type":"card","card":{"last4":"4242","exp_year":30}}""" },
        { "[1,2]", """{"type":"card","card":{"country":"USA"}}""" },
    };

    [Theory]
    [MemberData(nameof(MalformedDetails))]
    public async Task A_malformed_details_block_is_dropped_and_the_payment_still_completes(string customerDetails, string paymentDetails)
    {
        var id = await Create();
        var reference = Sandbox.ReferenceFrom(await Pay(id, ApiFixture.DevPublicKey, "sandbox_card", Browser));

        var body = Sandbox.SuccessWithDetails(reference, JsonNode.Parse(customerDetails), JsonNode.Parse(paymentDetails));
        var delivered = await Sandbox.Deliver(api.Host.Http, body, Sandbox.Sign(body));

        Assert.Equal(HttpStatusCode.OK, delivered.StatusCode);
        var paid = await Payment(id);
        Assert.Equal("succeeded", paid["status"]!.GetValue<string>());
        Assert.Null(paid["payment_details"]);
        if (customerDetails == """{"name":"Jenny Rosen"}""")
        {
            // Each block stands alone: a good one is kept beside a bad one.
            Assert.Equal("Jenny Rosen", paid["customer_details"]!["name"]!.GetValue<string>());
        }
        else
        {
            Assert.Null(paid["customer_details"]);
        }
    }

    private async Task<JsonObject> Payment(string id)
    {
        var response = await api.Get($"/payment/{id}", ApiFixture.DevSecretKey);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode} {text}");
        return JsonNode.Parse(text)!.AsObject();
    }

    private async Task<string> Create(JsonObject? body = null)
    {
        var response = await api.Post("/session", ApiFixture.DevSecretKey, (body ?? Bodies.SeedExample()).ToJsonString());
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return Bodies.ParseSessionId(await response.Content.ReadAsStringAsync());
    }

    private async Task<string> CreateWithMethod(string key, Action<JsonObject> change)
    {
        var body = Bodies.SeedExample();
        body["paymentMethodId"] = "sandbox_card";
        change(body);
        var response = await api.Send(HttpMethod.Post, "/session", key, body.ToJsonString(), r => r.Headers.TryAddWithoutValidation("User-Agent", Browser));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, text);
        Assert.NotNull(JsonNode.Parse(text)!["redirect_url"]);
        return Bodies.ParseSessionId(text);
    }

    // Starts a payment and gives the sandbox checkout it sends the customer to.
    private async Task<string> Pay(string id, string key, string method, string? userAgent = null, string? ip = null)
    {
        var body = new JsonObject { ["paymentMethodId"] = method };
        if (ip is not null)
        {
            body["ip"] = ip;
        }

        var response = await api.Send(HttpMethod.Post, $"/session/{id}/pay", key, body.ToJsonString(), request =>
        {
            if (userAgent is not null)
            {
                request.Headers.TryAddWithoutValidation("User-Agent", userAgent);
            }
        });
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        return JsonNode.Parse(text)!["redirect_url"]!.GetValue<string>();
    }
}
